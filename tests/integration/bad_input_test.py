#!/usr/bin/python3
"""Bad input: every case gets ZooKeeper's error code or a closed connection, and the server
keeps serving its other clients with nothing acknowledged lost.

A kazoo client stays connected through all cases; after each case it must still work and
see every node it wrote (all acknowledged). The expected codes are what Apache ZooKeeper 3.8
answers to the same bytes: run with `--server zookeeper` to prove the expectations, with
`--server conclave --binary PATH` to test Conclave.

    /usr/bin/python3 bad_input_test.py --server conclave --binary build/server/conclave-server -v
"""
import os
import random
import socket
import sys
import time
import unittest

import integ_util
from integ_util import make_server, rss_kb, wait_for, wait_serving
import zkraw as R

from kazoo.client import KazooClient, KazooState

ARGS = None
SERVER = None
WATCHER = None        # the kazoo client connected throughout
WATCHER_STATES = []   # every state kazoo reported
ACKED = {}            # path -> data of every write the kazoo client got a success for
ROOT = "/bad-input"

# What ZooKeeper 3.8 answers (pinned by running this script with --server zookeeper), per
# path: create, setData, delete, getData, exists, getChildren. "closed" = connection closed.
# "/a" and "/a/b" exist (under ROOT-independent absolute names, created by setUpModule).
PATH_CASES = {
    "a": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "a/b": (R.NO_NODE, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/a/": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "//a": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/a//b": (R.NO_NODE, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/.": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/a/.": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/..": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/a/..": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/a/../b": (R.NO_NODE, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/a/./b": (R.NO_NODE, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/a\0b": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.BAD_ARGUMENTS,
              R.NO_NODE),
    "/a\x01": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    # A lone UTF-16 surrogate, encoded as Java's modified UTF-8 would: an invalid character.
    b"/a\xed\xa0\x80": (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.NO_NODE, R.NO_NODE, R.NO_NODE,
                        R.NO_NODE),
    "/": (R.NODE_EXISTS, R.OK, R.BAD_ARGUMENTS, R.OK, R.OK, R.OK),
    # '.' and '..' only as whole components are invalid.
    "/a/.b": (R.OK, R.OK, R.OK, R.NO_NODE, R.NO_NODE, R.NO_NODE),
    "/a/..b": (R.OK, R.OK, R.OK, R.NO_NODE, R.NO_NODE, R.NO_NODE),
}
# The empty path: ZooKeeper refuses it for writes but reads it as the root (its DataTree
# keeps the root under the key ""). Kept apart so a difference there is named on its own.
EMPTY_PATH_CASE = (R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.BAD_ARGUMENTS, R.OK, R.OK, R.OK)

# ZooKeeper lets clients create, change and delete nodes under /zookeeper and change the data
# of /zookeeper and /zookeeper/quota; it refuses deleting them and changing /zookeeper/config.
# Per path: create, setData, delete, setACL, getData.
ZOOKEEPER_NODE_CASES = {
    "/zookeeper": (R.NODE_EXISTS, R.OK, R.BAD_ARGUMENTS, R.OK, R.OK),
    "/zookeeper/quota": (R.NODE_EXISTS, R.OK, R.BAD_ARGUMENTS, R.OK, R.OK),
    "/zookeeper/config": (R.NODE_EXISTS, R.NO_AUTH, R.BAD_ARGUMENTS, R.NO_AUTH, R.OK),
    "/zookeeper/x": (R.OK, R.OK, R.OK, R.NO_NODE, R.NO_NODE),
    "/zookeeper/quota/x": (R.OK, R.OK, R.OK, R.NO_NODE, R.NO_NODE),
}

# ACL lists and what ZooKeeper answers to create and setACL (on a node with an open ACL).
ACL_CASES = [
    ([], R.INVALID_ACL),
    ([(31, "foo", "bar")], R.INVALID_ACL),
    ([(31, "digest", "nocolon")], R.INVALID_ACL),
    ([(31, "digest", "user:")], R.INVALID_ACL),
    ([(31, "world", "someone")], R.INVALID_ACL),
    ([(31, "ip", "1.2.3.4/99")], R.INVALID_ACL),
    ([(31, "ip", "notanip")], R.INVALID_ACL),
    ([(31, "auth", "")], R.INVALID_ACL),  # no authenticated identity to put there
    ([(31, "world", "anyone"), (31, "foo", "x")], R.INVALID_ACL),
    ([(31, "super", "x")], R.INVALID_ACL),
    ([(31, "sasl", "x")], R.INVALID_ACL),
    ([(31, "digest", "user:pw")], R.OK),
]


def kazoo_listener(state):
    WATCHER_STATES.append(state)


def setUpModule():
    global SERVER, WATCHER
    SERVER = make_server(ARGS.server, binary=ARGS.binary)
    SERVER.start()
    wait_serving(SERVER)
    # The server is listed twice: kazoo gives one connect attempt session_timeout / len(hosts),
    # and Apache ZooKeeper 3.8.0 swallows a connect that arrives while it starts (ZOOKEEPER-5051,
    # seen in test_zz_restart_keeps_everything); with one entry that single attempt used up the
    # whole session. Two entries leave time for a second attempt, as the C client's 2/3 rule does.
    WATCHER = KazooClient(hosts=f"{SERVER.hosts},{SERVER.hosts}", timeout=10.0)
    WATCHER.add_listener(kazoo_listener)
    WATCHER.start(timeout=30)
    WATCHER.ensure_path(ROOT)
    kazoo_write(f"{ROOT}/before", b"written before any bad input")
    c = raw_session()
    for path in ("/a", "/a/b"):
        hdr, _ = c.call(R.OP_CREATE, R.create_body(path))
        assert hdr.err in (R.OK, R.NODE_EXISTS), hdr
    c.close()


def tearDownModule():
    if WATCHER is not None:
        WATCHER.stop()
        WATCHER.close()
    if SERVER is not None:
        SERVER.cleanup()


def kazoo_write(path, data):
    WATCHER.create(path, data)
    ACKED[path] = data


def raw_session(timeout=10.0):
    c = R.RawConnection(SERVER.port, timeout=timeout)
    resp = c.handshake()
    assert resp.timeout_ms > 0 and resp.session_id != 0, resp
    return c


def outcome(op, body):
    """Sends one request on a fresh session; returns its error code, or "closed"."""
    with raw_session() as c:
        try:
            hdr, _ = c.call(op, body)
        except R.ConnectionClosed:
            return "closed"
        return hdr.err


class BadInputTest(unittest.TestCase):
    case_counter = 0

    def setUp(self):
        self.assertTrue(SERVER.alive(), "server died before the case")

    def tearDown(self):
        self.assert_still_serving()

    def assert_still_serving(self):
        """The server is alive, the kazoo client still works and sees all it wrote."""
        self.assertTrue(SERVER.alive(), f"server died; log:\n{SERVER.log_tail()}")
        BadInputTest.case_counter += 1
        kazoo_write(f"{ROOT}/after-{BadInputTest.case_counter:04d}",
                    f"case {BadInputTest.case_counter}".encode())
        children = set(WATCHER.get_children(ROOT))
        for path, data in ACKED.items():
            self.assertIn(path.rsplit("/", 1)[1], children)
            self.assertEqual(WATCHER.get(path)[0], data, path)
        self.assertNotIn(KazooState.LOST, WATCHER_STATES, "the kazoo client lost its session")
        with raw_session() as c:
            hdr, _ = c.call(R.OP_EXISTS, R.exists_body("/"))
            self.assertEqual(hdr.err, R.OK)

    def assert_closed(self, conn, what):
        self.assertTrue(conn.expect_closed(timeout=10.0), f"{what}: connection not closed")

    # ---- framing and handshake ----

    def test_garbage_instead_of_handshake(self):
        rng = random.Random(1234)
        cases = [
            b"\xde\xad\xbe\xef" * 64,           # a negative length
            R.frame(b"this is not a connect request"),
            R.frame(b""),                        # an empty packet
            R.frame(bytes(rng.randrange(256) for _ in range(200))),
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # a length of 0x47455420
        ]
        for i, data in enumerate(cases):
            with R.RawConnection(SERVER.port) as c:
                c.send_raw(data)
                self.assert_closed(c, f"garbage #{i}")

    def test_truncated_frame_then_close(self):
        # Before the handshake: half a connect request.
        connect = R.frame(R.connect_body())
        for cut in (1, 3, 4, 10, len(connect) - 1):
            with R.RawConnection(SERVER.port) as c:
                c.send_raw(connect[:cut])
        # After the handshake: half a create, then close; the create must not happen.
        with raw_session() as c:
            c.send_raw(R.request(1, R.OP_CREATE, R.create_body(f"{ROOT}/truncated"))[:-3])
        # A truncated frame left open: the server waits for the rest, serving others meanwhile.
        c = raw_session()
        c.send_raw(R.request(1, R.OP_CREATE, R.create_body(f"{ROOT}/half"))[:12])
        self.assert_still_serving()
        c.close()
        self.assertIsNone(WATCHER.exists(f"{ROOT}/truncated"))
        self.assertIsNone(WATCHER.exists(f"{ROOT}/half"))

    def test_negative_length(self):
        for n in (-1, -5, -(2 ** 31)):
            with R.RawConnection(SERVER.port) as c:  # instead of the handshake
                c.send_raw(R.p_int(n) + b"\0" * 64)
                self.assert_closed(c, f"length {n} before the handshake")
            with raw_session() as c:  # after it
                c.send_raw(R.p_int(n) + b"\0" * 64)
                self.assert_closed(c, f"length {n} after the handshake")

    def test_huge_length(self):
        # Only the header is sent: the server must refuse the length, not wait for the body.
        for n in (R.DEFAULT_MAX_BUFFER + 1, 64 << 20, 2 ** 31 - 1):
            with R.RawConnection(SERVER.port) as c:
                c.send_raw(R.p_int(n))
                self.assert_closed(c, f"length {n} before the handshake")
            with raw_session() as c:
                c.send_raw(R.p_int(n) + b"\0" * 16)
                self.assert_closed(c, f"length {n} after the handshake")

    def test_request_before_handshake(self):
        frames = [
            R.request(1, R.OP_GET_DATA, R.get_data_body("/")),
            R.request(1, R.OP_CREATE, R.create_body(f"{ROOT}/before-handshake", b"x")),
            R.request(1, R.OP_CLOSE_SESSION),
            R.request(-2, R.OP_PING),
        ]
        for i, data in enumerate(frames):
            with R.RawConnection(SERVER.port) as c:
                c.send_raw(data)
                self.assert_closed(c, f"request #{i} as the first packet")
        self.assertIsNone(WATCHER.exists(f"{ROOT}/before-handshake"))

    def test_unknown_opcode(self):
        # ZooKeeper answers Unimplemented (-6) with the request's xid, then closes the
        # connection (UnimplementedRequestProcessor); the session itself survives.
        for op in (99, 10, 1000, -5, 2 ** 31 - 1):
            c = raw_session()
            sid, passwd = c.session_id, c.passwd
            xid = c.send_request(op, b"\0\0\0\0")
            hdr, _ = c.read_reply()
            self.assertEqual((hdr.xid, hdr.err), (xid, R.UNIMPLEMENTED), f"opcode {op}")
            self.assert_closed(c, f"after unknown opcode {op}")
            c.close()
            with R.RawConnection(SERVER.port) as again:
                resp = again.handshake(session_id=sid, passwd=passwd)
                self.assertEqual(resp.session_id, sid, "the session did not survive")
                again.call(R.OP_CLOSE_SESSION)

    # ---- paths ----

    def check_path_cases(self, cases):
        ops = ("create", "setData", "delete", "getData", "exists", "getChildren")
        diffs = []
        for path, expected in cases.items():
            bodies = (R.create_body(path), R.set_data_body(path, b"x"), R.delete_body(path),
                      R.get_data_body(path), R.exists_body(path), R.get_children_body(path))
            codes = (R.OP_CREATE, R.OP_SET_DATA, R.OP_DELETE, R.OP_GET_DATA, R.OP_EXISTS,
                     R.OP_GET_CHILDREN)
            for name, op, body, want in zip(ops, codes, bodies, expected):
                got = outcome(op, body)
                if got != want:
                    diffs.append(f"{name}({path!r}): got {got}, ZooKeeper gives {want}")
        self.assertEqual(diffs, [], "\n".join(diffs))

    def test_invalid_paths(self):
        self.check_path_cases(PATH_CASES)
        self.assertEqual(WATCHER.get_children("/a"), ["b"])

    def test_empty_path_reads_root(self):
        self.check_path_cases({"": EMPTY_PATH_CASE})

    def test_changes_under_zookeeper(self):
        ops = ("create", "setData", "delete", "setACL", "getData")
        diffs = []
        for path, expected in ZOOKEEPER_NODE_CASES.items():
            bodies = (R.create_body(path), R.set_data_body(path, b"x"), R.delete_body(path),
                      R.set_acl_body(path, R.WORLD_ANYONE), R.get_data_body(path))
            codes = (R.OP_CREATE, R.OP_SET_DATA, R.OP_DELETE, R.OP_SET_ACL, R.OP_GET_DATA)
            for name, op, body, want in zip(ops, codes, bodies, expected):
                got = outcome(op, body)
                if got != want:
                    diffs.append(f"{name}({path!r}): got {got}, ZooKeeper gives {want}")
        self.assertEqual(diffs, [], "\n".join(diffs))
        self.assertTrue(WATCHER.exists("/zookeeper/quota"))

    # ---- ACLs ----

    def test_bad_acls(self):
        diffs = []
        for i, (acl, want) in enumerate(ACL_CASES):
            path = f"{ROOT}/acl-{i:02d}"
            got = outcome(R.OP_CREATE, R.create_body(path, b"", acl))
            if got != want:
                diffs.append(f"create with {acl}: got {got}, ZooKeeper gives {want}")
            if got != R.OK and WATCHER.exists(path):
                diffs.append(f"create with {acl} failed but the node exists")
            target = f"{ROOT}/acl-target-{i:02d}"  # world:anyone ALL, then setACL
            WATCHER.create(target, b"t")
            got = outcome(R.OP_SET_ACL, R.set_acl_body(target, acl))
            if got != want:
                diffs.append(f"setACL with {acl}: got {got}, ZooKeeper gives {want}")
            if got != R.OK:  # a refused setACL leaves the ACL as it was
                acls, _ = WATCHER.get_acls(target)
                if [(a.perms, a.id.scheme, a.id.id) for a in acls] != R.WORLD_ANYONE:
                    diffs.append(f"setACL with {acl} failed ({got}) but the ACL is {acls}")
        self.assertEqual(diffs, [], "\n".join(diffs))

    # ---- sizes ----

    def test_oversized_data(self):
        # A packet over jute.maxbuffer: ZooKeeper closes the connection; nothing is written.
        big = b"x" * (R.DEFAULT_MAX_BUFFER + 1)
        for name, body, op in (
                ("create", R.create_body(f"{ROOT}/oversized", big), R.OP_CREATE),
                ("setData", R.set_data_body(f"{ROOT}/before", big), R.OP_SET_DATA)):
            with raw_session() as c:
                try:
                    c.send_request(op, body)
                except R.ConnectionClosed:
                    continue  # closed while we were still sending: also a close
                self.assert_closed(c, f"oversized {name}")
        self.assertIsNone(WATCHER.exists(f"{ROOT}/oversized"))
        # Just under the limit still works.
        data = b"y" * (R.DEFAULT_MAX_BUFFER - 4096)
        with raw_session() as c:
            hdr, _ = c.call(R.OP_CREATE, R.create_body(f"{ROOT}/nearly-max", data))
            self.assertEqual(hdr.err, R.OK)
        ACKED[f"{ROOT}/nearly-max"] = data

    # ---- sessions ----

    def test_wrong_session_password(self):
        c = raw_session()
        sid, passwd = c.session_id, c.passwd
        c.send_request(R.OP_CREATE, R.create_body(f"{ROOT}/eph-pw", b"", flags=R.EPHEMERAL))
        hdr, _ = c.read_reply()
        self.assertEqual(hdr.err, R.OK)
        c.close()  # the session lives on
        bad = bytes(b ^ 0xFF for b in passwd)
        for sid_try, pw in ((sid, bad), (sid, b"\0" * 16), (sid, b"short"), (sid ^ 0x5A5A, passwd)):
            with R.RawConnection(SERVER.port) as c2:
                resp = c2.handshake(session_id=sid_try, passwd=pw)
                # ZooKeeper's "expired" answer: timeout 0, session 0, a zero password; then close.
                self.assertEqual((resp.timeout_ms, resp.session_id, resp.passwd),
                                 (0, 0, b"\0" * 16), f"session {sid_try:#x} password {pw!r}")
                self.assert_closed(c2, "after the expired answer")
        # The real password still works and the ephemeral survived the attempts.
        with R.RawConnection(SERVER.port) as c3:
            resp = c3.handshake(session_id=sid, passwd=passwd)
            self.assertEqual(resp.session_id, sid)
            self.assertGreater(resp.timeout_ms, 0)
            hdr, r = c3.call(R.OP_EXISTS, R.exists_body(f"{ROOT}/eph-pw"))
            self.assertEqual(hdr.err, R.OK)
            self.assertEqual(r.stat().ephemeral_owner, sid)
            c3.call(R.OP_CLOSE_SESSION)
        self.assertIsNone(WATCHER.exists(f"{ROOT}/eph-pw"))

    # ---- load ----

    def test_many_connections(self):
        count = 300
        conns = []
        try:
            for _ in range(count):
                conns.append(R.RawConnection(SERVER.port))
            for c in conns:  # all handshakes in flight at once
                c.send_raw(R.frame(R.connect_body()))
            for c in conns:
                resp = R.parse_connect_response(c.read_frame())
                self.assertGreater(resp.timeout_ms, 0)
            for i, c in enumerate(conns):
                c.send_request(R.OP_CREATE,
                               R.create_body(f"{ROOT}/many-{i:03d}", b"m", flags=R.EPHEMERAL))
            for c in conns:
                hdr, _ = c.read_reply()
                self.assertEqual(hdr.err, R.OK)
            self.assertEqual(len([n for n in WATCHER.get_children(ROOT)
                                  if n.startswith("many-")]), count)
            for c in conns:
                c.send_request(R.OP_CLOSE_SESSION)
            for c in conns:
                c.read_reply()
        finally:
            for c in conns:
                c.close()
        wait_for(lambda: not [n for n in WATCHER.get_children(ROOT) if n.startswith("many-")],
                 30, "the closed sessions' ephemerals to go")

    def test_client_that_never_reads(self):
        # Each getData answers 512 KiB and each request is 30 bytes: a client that sends
        # thousands of them and reads nothing asks for GiBs of replies with a few KiB. The
        # server must stop taking its requests once a bounded amount of replies waits (ZooKeeper
        # grows by ~20 MiB here), and keep serving everyone else meanwhile.
        node_bytes = 512 * 1024
        requests_max = 4096  # 2 GiB of replies if all were answered and buffered
        path = f"{ROOT}/big"
        data = os.urandom(node_bytes)
        WATCHER.create(path, data)
        ACKED[path] = data
        pid = SERVER.proc.pid
        rss_before_kb = rss_kb(pid)
        c = raw_session()
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        chunk = R.request(7, R.OP_GET_DATA, R.get_data_body(path)) * 256
        c.sock.settimeout(2.0)
        sent_requests = 0
        try:
            while sent_requests < requests_max:
                try:
                    c.sock.sendall(chunk)
                except (socket.timeout, OSError):
                    break  # the server stopped reading from us, or closed us: both bounded
                sent_requests += 256
            # Others are served while this client's replies pile up; meanwhile the server has
            # had time to take (or refuse) what it will. The peak is sampled over that time.
            peak_kb = rss_kb(pid)
            self.assert_still_serving()
            settle_until = time.monotonic() + 2.0
            while time.monotonic() < settle_until:
                peak_kb = max(peak_kb, rss_kb(pid))
                time.sleep(0.05)
            self.assertTrue(SERVER.alive())
            grown_mb = (peak_kb - rss_before_kb) / 1024
            print(f"\n  never-reading client: {sent_requests} requests sent "
                  f"({sent_requests * node_bytes / 2**30:.1f} GiB of replies asked), "
                  f"server RSS grew {grown_mb:.0f} MiB", file=sys.stderr)
            self.assertLess(grown_mb, ARGS.rss_growth_max_mb,
                            "the server buffers replies without bound")
        finally:
            c.close()
        WATCHER.delete(path)
        del ACKED[path]

    # ---- last: a restart keeps every acknowledged write ----

    def test_zz_restart_keeps_everything(self):
        # Named to run last (unittest sorts by name): everything above was acknowledged.
        self.assertEqual(integ_util.sanitizer_reports(SERVER), [])
        SERVER.kill9()
        SERVER.start()
        wait_serving(SERVER)
        wait_for(lambda: WATCHER.state == KazooState.CONNECTED, 30, "kazoo to reconnect")
        for path, data in ACKED.items():
            self.assertEqual(WATCHER.get(path)[0], data, path)


def main():
    global ARGS

    def extra(parser):
        parser.add_argument("--rss-growth-max-mb", type=int, default=256,
                            help="how much the never-reading client may grow the server")

    ARGS, argv = integ_util.parse_args(__doc__.splitlines()[0], extra)
    unittest.main(module=__name__, argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
