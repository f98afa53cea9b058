#!/usr/bin/python3
"""ZooKeeper compatibility tests with kazoo (and a raw jute client where kazoo has no API).

    kazoo_compat.py --server zookeeper
    kazoo_compat.py --server conclave --binary build/server/conclave-server

The same expectations hold for Apache ZooKeeper 3.8 (Debian) and for Conclave: passing
against ZooKeeper proves the test, passing against Conclave proves the server. The few
intentional differences are marked with `if IS_ZK38` / `if IS_CONCLAVE` and say why.

Each test works under its own top-level znode, so tests are independent; one server is
started for the whole run (starting ZooKeeper's JVM costs seconds). Waiting is always for a
condition with a deadline; "no event fired" is proven with a round trip on the watching
connection (a server sends a watch event before the reply to any later request on that
connection), never with a sleep.
"""
import argparse
import os
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, HERE)

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import (  # noqa: E402
    AuthFailedError, BadArgumentsError, BadVersionError, InvalidACLError, NoAuthError,
    NoChildrenForEphemeralsError, NodeExistsError, NoNodeError, NotEmptyError, RolledBackError,
    RuntimeInconsistency)
from kazoo.protocol.states import Callback, EventType, KazooState  # noqa: E402
from kazoo.security import ACL, Id, make_digest_acl, make_digest_acl_credential  # noqa: E402

import zkraw as raw  # noqa: E402
from compat_server import (JUTE_MAX_BUFFER, MAX_SESSION_TIMEOUT_MS,  # noqa: E402
                           MIN_SESSION_TIMEOUT_MS, SERVER_KINDS, SUPER_PASSWORD,
                           make_compat_target)
from zkservers import four_letter_word  # noqa: E402

DEADLINE_S = 20.0

SERVER = None
KIND = None
EXPECTED_MODE = "standalone"
IS_ZK38 = False
IS_CONCLAVE = False


def setUpModule():
    global SERVER
    SERVER = make_compat_target(ARGS.server, ARGS.binary)
    SERVER.start()


def tearDownModule():
    if SERVER is not None:
        SERVER.cleanup()


def wait_for(predicate, what, timeout_s=DEADLINE_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Events:
    """Collects kazoo watch callbacks."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []
        self.cond = threading.Condition(self.lock)

    def __call__(self, event):
        with self.cond:
            self.items.append((event.type, event.path))
            self.cond.notify_all()

    def wait(self, count=1, timeout_s=DEADLINE_S):
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.items) >= count, timeout_s)
            if not ok:
                raise AssertionError(f"expected {count} watch events, got {self.items}")
            return list(self.items)

    def snapshot(self):
        with self.lock:
            return list(self.items)


def drain(zk):
    """Returns once every watch event the server sent `zk` before now has been delivered."""
    zk.exists("/")  # a round trip: earlier events arrive before its reply
    done = threading.Event()
    zk.handler.dispatch_callback(Callback("watch", done.set, ()))
    if not done.wait(DEADLINE_S):
        raise AssertionError("kazoo's callback queue did not drain")


class CompatTest(unittest.TestCase):
    def setUp(self):
        self.clients = []
        self.raws = []
        self.zk = self.kazoo()
        self.base = "/" + self.id().split(".")[-1]
        self.zk.create(self.base)

    def tearDown(self):
        for r in self.raws:
            r.close()
        for c in self.clients:
            try:
                c.stop()
                c.close()
            except Exception:
                pass
        admin = KazooClient(hosts=SERVER.hosts)
        admin.start(timeout=DEADLINE_S)
        admin.add_auth("digest", f"super:{SUPER_PASSWORD}")
        try:
            admin.delete(self.base, recursive=True)
        except NoNodeError:
            pass
        admin.stop()
        admin.close()

    def kazoo(self, **kw):
        zk = KazooClient(hosts=SERVER.hosts, **kw)
        zk.start(timeout=DEADLINE_S)
        self.clients.append(zk)
        return zk

    def raw(self, **kw):
        """A raw connection with a session; kw goes to RawConnection.handshake."""
        r = raw.RawConnection(SERVER.port, timeout=15.0)
        self.raws.append(r)
        r.handshake(**kw)
        return r

    def p(self, *parts):
        return "/".join([self.base, *parts])

    def ok(self, reply):
        self.assertEqual(reply.err, raw.OK, f"expected OK, got {reply.err}")
        return reply.reader()


# ---------------------------------------------------------------------------------------
class NodeTypesAndStatTest(CompatTest):
    def test_create_persistent_sets_every_stat_field(self):
        parent_before = self.zk.exists(self.base)
        r = self.raw()
        reply = r.create2(self.p("a"), b"hello")
        rd = self.ok(reply)
        self.assertEqual(rd.string(), self.p("a"))
        st = rd.stat()
        self.assertEqual(st.czxid, reply.zxid)
        self.assertEqual(st.mzxid, reply.zxid)
        self.assertEqual(st.pzxid, reply.zxid)
        self.assertEqual(st.ctime, st.mtime)
        self.assertLess(abs(st.ctime / 1000 - time.time()), 60)
        for field in ("version", "cversion", "aversion", "ephemeral_owner", "num_children"):
            self.assertEqual(getattr(st, field), 0, field)
        self.assertEqual(st.data_length, 5)
        self.assertEqual(tuple(self.zk.exists(self.p("a"))), tuple(st))  # the same field order

        parent = self.zk.exists(self.base)
        self.assertEqual(parent.cversion, parent_before.cversion + 1)
        self.assertEqual(parent.numChildren, parent_before.numChildren + 1)
        self.assertEqual(parent.pzxid, reply.zxid)
        self.assertEqual(parent.mzxid, parent_before.mzxid)
        self.assertEqual(parent.version, parent_before.version)

    def test_create_returns_path_and_create2_stat(self):
        path = self.zk.create(self.p("c"), b"xy")
        self.assertEqual(path, self.p("c"))
        path2, stat = self.zk.create(self.p("d"), b"xyz", include_data=True)
        self.assertEqual(path2, self.p("d"))
        self.assertEqual(stat, self.zk.exists(self.p("d")))
        self.assertEqual(stat.dataLength, 3)
        with self.assertRaises(NodeExistsError):
            self.zk.create(self.p("c"))
        with self.assertRaises(NoNodeError):
            self.zk.create(self.p("missing", "child"))

    def test_set_data_updates_version_mzxid_mtime_and_length(self):
        _, created = self.zk.create(self.p("n"), b"12345", include_data=True)
        r = self.raw()
        reply = r.set_data(self.p("n"), b"abc", 0)
        st = self.ok(reply).stat()
        self.assertEqual(st.version, 1)
        self.assertEqual(st.mzxid, reply.zxid)
        self.assertGreater(st.mzxid, created.mzxid)
        self.assertEqual(st.czxid, created.czxid)
        self.assertEqual(st.pzxid, created.pzxid)
        self.assertEqual(st.ctime, created.ctime)
        self.assertGreaterEqual(st.mtime, created.mtime)
        self.assertEqual(st.data_length, 3)
        self.assertEqual((st.cversion, st.aversion), (0, 0))
        data, stat = self.zk.get(self.p("n"))
        self.assertEqual(data, b"abc")
        self.assertEqual(tuple(stat), tuple(st))
        with self.assertRaises(BadVersionError):
            self.zk.set(self.p("n"), b"x", version=0)
        self.assertEqual(self.zk.set(self.p("n"), b"", version=-1).version, 2)
        self.assertEqual(self.zk.exists(self.p("n")).dataLength, 0)
        with self.assertRaises(NoNodeError):
            self.zk.set(self.p("nope"), b"x")

    def test_delete_updates_parent_cversion_and_pzxid(self):
        self.zk.create(self.p("x"))
        before = self.zk.exists(self.base)
        r = self.raw()
        reply = r.delete(self.p("x"), 0)
        self.ok(reply)
        after = self.zk.exists(self.base)
        self.assertEqual(after.cversion, before.cversion + 1)
        self.assertEqual(after.pzxid, reply.zxid)
        self.assertEqual(after.numChildren, before.numChildren - 1)
        self.assertEqual(after.mzxid, before.mzxid)
        self.assertIsNone(self.zk.exists(self.p("x")))

    def test_delete_errors(self):
        self.zk.create(self.p("x", "y"), makepath=True)
        with self.assertRaises(NotEmptyError):
            self.zk.delete(self.p("x"))
        with self.assertRaises(BadVersionError):
            self.zk.delete(self.p("x", "y"), version=3)
        with self.assertRaises(NoNodeError):
            self.zk.delete(self.p("zz"))
        self.zk.delete(self.p("x", "y"), version=0)

    def test_set_acl_bumps_aversion_only(self):
        _, created = self.zk.create(self.p("a"), b"d", include_data=True)
        r = self.raw()
        reply = r.set_acl(self.p("a"), [(raw.PERM_ALL, "world", "anyone")], 0)
        st = self.ok(reply).stat()
        self.assertEqual(st.aversion, 1)
        self.assertEqual(st.version, 0)
        self.assertEqual(st.mzxid, created.mzxid)
        self.assertEqual(st.pzxid, created.pzxid)
        self.assertEqual(r.set_acl(self.p("a"), raw.WORLD_ANYONE, 0).err, raw.BAD_VERSION)
        self.assertEqual(r.set_acl(self.p("nope"), raw.WORLD_ANYONE, -1).err, raw.NO_NODE)

    def test_ephemeral_owner_and_no_children(self):
        _, st = self.zk.create(self.p("e"), ephemeral=True, include_data=True)
        self.assertEqual(st.ephemeralOwner, self.zk.client_id[0])
        with self.assertRaises(NoChildrenForEphemeralsError):
            self.zk.create(self.p("e", "child"))

    def test_sequential_names_count_creates_cversion_counts_both(self):
        """The stored cversion counts creates and names sequential children; the Stat a
        client sees reports 2 * creates - numChildren, i.e. creates + deletes (ZooKeeper's
        DataNode.copyStat)."""
        first = self.zk.create(self.p("s-"), sequence=True)
        self.assertEqual(first, self.p("s-0000000000"))
        self.assertEqual(self.zk.exists(self.base).cversion, 1)
        self.zk.create(self.p("plain"))
        self.assertEqual(self.zk.exists(self.base).cversion, 2)
        self.zk.delete(self.p("plain"))
        self.assertEqual(self.zk.exists(self.base).cversion, 3)
        second = self.zk.create(self.p("s-"), sequence=True)
        self.assertEqual(second, self.p("s-0000000002"))
        self.assertEqual(self.zk.exists(self.base).cversion, 4)
        eph = self.zk.create(self.p("e-"), ephemeral=True, sequence=True)
        self.assertEqual(eph, self.p("e-0000000003"))
        self.assertEqual(self.zk.exists(eph).ephemeralOwner, self.zk.client_id[0])
        # A sequential create may end in '/': the suffix is the whole last component.
        r = self.raw()
        self.zk.create(self.p("dir"))
        rd = self.ok(r.create(self.p("dir") + "/", flags=raw.PERSISTENT_SEQUENTIAL))
        self.assertEqual(rd.string(), self.p("dir", "0000000000"))

    def test_container_owner_and_reaping(self):
        r = self.raw()
        reply = r.create_container(self.p("used"))
        rd = self.ok(reply)
        self.assertEqual(rd.string(), self.p("used"))
        # The container marker (0x8000000000000000) stays inside the server: clients see 0.
        self.assertEqual(rd.stat().ephemeral_owner, 0)
        self.assertEqual(self.zk.exists(self.p("used")).ephemeralOwner, 0)
        self.ok(r.create_container(self.p("never-used")))
        self.zk.create(self.p("used", "child"))
        self.zk.delete(self.p("used", "child"))
        wait_for(lambda: self.zk.exists(self.p("used")) is None, "the empty container's removal")
        # The reaper passed over the never-used container in the same sweep: it stays.
        self.assertIsNotNone(self.zk.exists(self.p("never-used")))

    def test_ttl_owner_and_expiry(self):
        r = self.raw()
        ttl_ms = 500
        rd = self.ok(r.create_ttl(self.p("ttl"), ttl_ms))
        self.assertEqual(rd.string(), self.p("ttl"))
        # As for containers, the TTL encoding in ephemeralOwner is not shown to clients.
        self.assertEqual(rd.stat().ephemeral_owner, 0)
        rd = self.ok(r.create_ttl(self.p("seq-"), 600000, flags=raw.PERSISTENT_SEQUENTIAL_WITH_TTL))
        self.assertEqual(rd.string(), self.p("seq-0000000001"))
        self.assertEqual(rd.stat().ephemeral_owner, 0)
        wait_for(lambda: self.zk.exists(self.p("ttl")) is None, "the TTL node's removal")
        self.assertIsNotNone(self.zk.exists(self.p("seq-0000000001")))

    def test_ttl_bad_arguments(self):
        r = self.raw()
        self.assertEqual(r.create_ttl(self.p("zero"), 0).err, raw.BAD_ARGUMENTS)
        self.assertEqual(r.create_ttl(self.p("neg"), -5).err, raw.BAD_ARGUMENTS)
        self.assertEqual(r.create_ttl(self.p("huge"), 1 << 40).err, raw.BAD_ARGUMENTS)
        # createTTL with a non-TTL mode, and a TTL mode through plain create (ttl -1).
        self.assertEqual(r.create_ttl(self.p("plain"), 1000, flags=raw.PERSISTENT).err,
                         raw.BAD_ARGUMENTS)
        self.assertEqual(r.create(self.p("viacreate"), flags=raw.PERSISTENT_WITH_TTL).err,
                         raw.BAD_ARGUMENTS)
        self.assertIsNone(self.zk.exists(self.p("zero")))

    def test_builtin_nodes_exist(self):
        self.assertIsNotNone(self.zk.exists("/zookeeper"))
        self.assertIsNotNone(self.zk.exists("/zookeeper/quota"))
        self.assertIn("zookeeper", self.zk.get_children("/"))

    def test_failed_write_consumes_a_zxid(self):
        r = self.raw()
        first = r.create(self.p("a"))
        self.ok(first)
        failed = r.create(self.p("a"))
        self.assertEqual(failed.err, raw.NODE_EXISTS)
        self.assertEqual(failed.zxid, first.zxid + 1)
        third = r.create2(self.p("b"))
        self.assertEqual(self.ok(third).string(), self.p("b"))
        self.assertEqual(third.zxid, first.zxid + 2)

    def test_read_reply_carries_last_zxid(self):
        r = self.raw()
        w = r.create(self.p("a"))
        self.ok(w)
        self.assertEqual(r.get_data(self.p("a")).zxid, w.zxid)
        self.assertEqual(r.exists(self.p("nothing")).zxid, w.zxid)
        self.assertEqual(r.exists(self.p("nothing")).err, raw.NO_NODE)


# ---------------------------------------------------------------------------------------
class ReadOpsTest(CompatTest):
    def test_get_children_and_children2(self):
        for name in ("b", "a", "c"):
            self.zk.create(self.p(name))
        self.assertEqual(sorted(self.zk.get_children(self.base)), ["a", "b", "c"])
        children, stat = self.zk.get_children(self.base, include_data=True)
        self.assertEqual(sorted(children), ["a", "b", "c"])
        self.assertEqual(stat, self.zk.exists(self.base))
        self.assertEqual(self.zk.get_children(self.p("a")), [])
        with self.assertRaises(NoNodeError):
            self.zk.get_children(self.p("none"))
        r = self.raw()
        rd = self.ok(r.get_children(self.base))
        self.assertEqual(sorted(rd.strings()), ["a", "b", "c"])
        self.assertTrue(rd.at_end())
        rd = self.ok(r.get_children2(self.base))
        self.assertEqual(sorted(rd.strings()), ["a", "b", "c"])
        self.assertEqual(rd.stat().num_children, 3)

    def test_get_data_and_errors(self):
        self.zk.create(self.p("d"), b"\x00\x01binary")
        data, stat = self.zk.get(self.p("d"))
        self.assertEqual(data, b"\x00\x01binary")
        self.assertEqual(stat.dataLength, 8)
        with self.assertRaises(NoNodeError):
            self.zk.get(self.p("none"))
        # Empty data comes back as an empty buffer (a null buffer is sent as -1 by clients).
        self.zk.create(self.p("empty"))
        self.assertEqual(self.zk.get(self.p("empty"))[0], b"")

    def test_get_acl_returns_acl_and_stat(self):
        acl = [make_digest_acl("alice", "pw", all=True), ACL(1, Id("world", "anyone"))]
        self.zk.create(self.p("a"), acl=acl)
        got, stat = self.zk.get_acls(self.p("a"))
        # Without ADMIN on the node, digest ids come back masked.
        self.assertEqual(sorted(got), sorted([ACL(31, Id("digest", "alice:x")), acl[1]]))
        alice = self.kazoo(auth_data=[("digest", "alice:pw")])
        self.assertEqual(sorted(alice.get_acls(self.p("a"))[0]), sorted(acl))
        self.assertEqual(stat, self.zk.exists(self.p("a")))
        with self.assertRaises(NoNodeError):
            self.zk.get_acls(self.p("none"))

    def test_sync_returns_path(self):
        self.assertEqual(self.zk.sync(self.base), self.base)
        r = self.raw()
        self.assertEqual(self.ok(r.sync("/")).string(), "/")

    def test_get_ephemerals_lists_own_session_only(self):
        mine = self.raw()
        other = self.raw()
        self.zk.create(self.p("e"))
        for name in ("a", "b"):
            self.ok(mine.create(self.p("e", name), flags=raw.EPHEMERAL))
        self.ok(mine.create(self.p("x"), flags=raw.EPHEMERAL))
        self.ok(other.create(self.p("e", "c"), flags=raw.EPHEMERAL))
        rd = self.ok(mine.get_ephemerals(self.p("e")))
        self.assertEqual(sorted(rd.strings()), [self.p("e", "a"), self.p("e", "b")])
        rd = self.ok(mine.get_ephemerals("/"))
        self.assertEqual(sorted(rd.strings()), [self.p("e", "a"), self.p("e", "b"), self.p("x")])
        rd = self.ok(other.get_ephemerals(self.base))
        self.assertEqual(rd.strings(), [self.p("e", "c")])
        rd = self.ok(self.raw().get_ephemerals("/"))
        self.assertEqual(rd.strings(), [])

    def test_get_all_children_number(self):
        self.zk.create(self.p("a", "b", "c"), makepath=True)
        self.zk.create(self.p("a", "d"))
        self.zk.create(self.p("ab"))  # a sibling sharing a name prefix is not a descendant
        r = self.raw()
        self.assertEqual(self.ok(r.get_all_children_number(self.p("a"))).int(), 3)
        self.assertEqual(self.ok(r.get_all_children_number(self.base)).int(), 5)
        self.assertEqual(self.ok(r.get_all_children_number(self.p("ab"))).int(), 0)
        self.assertEqual(r.get_all_children_number(self.p("none")).err, raw.NO_NODE)
        # "" is the root's alias for reads; counting keys under "" + "/" includes the root.
        under_root = self.ok(r.get_all_children_number("/")).int()
        self.assertEqual(self.ok(r.get_all_children_number("")).int(), under_root + 1)
        self.assertEqual(sorted(self.ok(r.get_children("")).strings()),
                         sorted(self.ok(r.get_children("/")).strings()))
        self.assertEqual(self.ok(r.get_acl("")).acls(), self.ok(r.get_acl("/")).acls())

    def test_who_am_i(self):
        def who(client):
            rd = self.ok(client.who_am_i())
            # ZooKeeper keeps auth ids in a hash set: the order means nothing.
            return sorted((rd.string(), rd.string()) for _ in range(rd.int()))

        r = self.raw()
        self.assertEqual(who(r), [("ip", "127.0.0.1")])
        # One ClientInfo per authenticated id, the user as its provider names it; an id
        # added twice is kept once.
        self.ok(r.add_auth("digest", b"bob:secret"))
        self.ok(r.add_auth("digest", b"bob:secret"))
        self.assertEqual(who(r), [("digest", "bob"), ("ip", "127.0.0.1")])
        # The super user gets an extra ("super", "") id.
        root = self.raw()
        self.ok(root.add_auth("digest", f"super:{SUPER_PASSWORD}".encode()))
        self.assertEqual(who(root), [("digest", "super"), ("ip", "127.0.0.1"), ("super", "")])
        # A digest credential without ':' is accepted (the whole string is the user).
        odd = self.raw()
        self.ok(odd.add_auth("digest", b"nocolon"))
        self.assertEqual(who(odd), [("digest", "nocolon"), ("ip", "127.0.0.1")])


# ---------------------------------------------------------------------------------------
class MultiTest(CompatTest):
    def test_multi_success_per_op_results_and_one_zxid(self):
        self.zk.create(self.p("old"), b"v0")
        self.zk.create(self.p("gone"))
        t = self.zk.transaction()
        t.create(self.p("new"), b"n")
        t.set_data(self.p("old"), b"v1", version=0)
        t.check(self.p("old"), 1)
        t.delete(self.p("gone"))
        results = t.commit()
        self.assertEqual(results[0], self.p("new"))
        self.assertEqual(results[1].version, 1)
        self.assertEqual(results[2:], [True, True])
        new = self.zk.exists(self.p("new"))
        old = self.zk.exists(self.p("old"))
        self.assertEqual(new.czxid, old.mzxid)
        self.assertEqual(self.zk.exists(self.base).pzxid, new.czxid)
        self.assertIsNone(self.zk.exists(self.p("gone")))

    def test_multi_failure_rolls_back_with_per_op_errors(self):
        self.zk.create(self.p("old"), b"v0")
        t = self.zk.transaction()
        t.create(self.p("new"))
        t.check(self.p("old"), 5)
        t.set_data(self.p("old"), b"v1")
        results = t.commit()
        self.assertIsInstance(results[0], RolledBackError)
        self.assertIsInstance(results[1], BadVersionError)
        self.assertIsInstance(results[2], RuntimeInconsistency)
        self.assertIsNone(self.zk.exists(self.p("new")))
        self.assertEqual(self.zk.get(self.p("old"))[0], b"v0")

    def test_multi_raw_results_and_failed_multi_uses_a_zxid(self):
        r = self.raw()
        self.ok(r.create(self.p("old"), b"v0"))
        ok_reply = r.multi([
            (raw.OP_CREATE2, raw.create_body(self.p("c2"), b"z")),
            (raw.OP_CREATE, raw.create_body(self.p("c1"))),
            (raw.OP_SET_DATA, raw.set_data_body(self.p("old"), b"v1", 0)),
            (raw.OP_CHECK, raw.check_body(self.p("old"), 1)),
            (raw.OP_DELETE, raw.delete_body(self.p("c1"))),
        ])
        self.assertEqual(ok_reply.err, raw.OK)
        res = raw.parse_multi(ok_reply.body)
        if IS_ZK38:
            # ZooKeeper 3.8.0 answers create2 inside multi with a plain create result
            # (ZOOKEEPER-4026, fixed in later releases); Conclave returns path and Stat.
            self.assertEqual(res[0], ("create", self.p("c2")))
        else:
            self.assertEqual(res[0][:2], ("create2", self.p("c2")))
            self.assertEqual(res[0][2].czxid, ok_reply.zxid)
            self.assertEqual(res[0][2].data_length, 1)
        self.assertEqual([x[0] for x in res[1:]], ["create", "setData", "check", "delete"])
        self.assertEqual(res[1][1], self.p("c1"))
        self.assertEqual(res[2][1].version, 1)
        self.assertEqual(res[2][1].mzxid, ok_reply.zxid)

        bad = r.multi([
            (raw.OP_CREATE, raw.create_body(self.p("x"))),
            (raw.OP_DELETE, raw.delete_body(self.p("missing"))),
            (raw.OP_CREATE, raw.create_body(self.p("y"))),
        ])
        self.assertEqual(bad.err, raw.OK)
        self.assertEqual(bad.zxid, ok_reply.zxid + 1)
        self.assertEqual(raw.parse_multi(bad.body),
                         [("error", raw.OK), ("error", raw.NO_NODE),
                          ("error", raw.RUNTIME_INCONSISTENCY)])
        after = r.create(self.p("after"))
        self.assertEqual(after.zxid, bad.zxid + 1)
        self.assertEqual(r.exists(self.p("x")).err, raw.NO_NODE)

    def test_multi_sees_its_own_earlier_ops(self):
        r = self.raw()
        reply = r.multi([
            (raw.OP_CREATE, raw.create_body(self.p("p"))),
            (raw.OP_CREATE, raw.create_body(self.p("p", "s-"), flags=raw.PERSISTENT_SEQUENTIAL)),
            (raw.OP_CREATE, raw.create_body(self.p("p", "s-"), flags=raw.PERSISTENT_SEQUENTIAL)),
            (raw.OP_DELETE, raw.delete_body(self.p("p", "s-0000000000"), 0)),
        ])
        self.assertEqual(raw.parse_multi(reply.body),
                         [("create", self.p("p")), ("create", self.p("p", "s-0000000000")),
                          ("create", self.p("p", "s-0000000001")), ("delete",)])
        self.assertEqual(self.zk.get_children(self.p("p")), ["s-0000000001"])
        self.assertEqual(self.zk.exists(self.p("p")).cversion, 3)

    def test_multi_read_per_op_results(self):
        self.zk.create(self.p("a"), b"A")
        self.zk.create(self.p("a", "k"))
        r = self.raw()
        reply = r.multi_read([
            (raw.OP_GET_DATA, raw.get_data_body(self.p("a"))),
            (raw.OP_GET_CHILDREN, raw.get_children_body(self.p("a"))),
            (raw.OP_GET_DATA, raw.get_data_body(self.p("missing"))),
            (raw.OP_GET_CHILDREN, raw.get_children_body(self.p("a", "k"))),
        ])
        self.assertEqual(reply.err, raw.OK)
        res = raw.parse_multi(reply.body)
        self.assertEqual(res[0][0:2], ("getData", b"A"))
        self.assertEqual(tuple(res[0][2]), tuple(self.zk.exists(self.p("a"))))
        self.assertEqual(res[1], ("getChildren", ["k"]))
        self.assertEqual(res[2], ("error", raw.NO_NODE))
        self.assertEqual(res[3], ("getChildren", []))


# ---------------------------------------------------------------------------------------
class WatchTest(CompatTest):
    def test_exists_watch_on_missing_node_fires_created_once(self):
        ev = Events()
        self.assertIsNone(self.zk.exists(self.p("n"), watch=ev))
        other = self.kazoo()
        other.create(self.p("n"))
        self.assertEqual(ev.wait(1), [(EventType.CREATED, self.p("n"))])
        other.set(self.p("n"), b"x")
        other.delete(self.p("n"))
        drain(self.zk)
        self.assertEqual(len(ev.snapshot()), 1)  # one-shot

    def test_data_watch_fires_changed_once(self):
        self.zk.create(self.p("n"))
        ev = Events()
        self.zk.get(self.p("n"), watch=ev)
        other = self.kazoo()
        other.set(self.p("n"), b"1")
        self.assertEqual(ev.wait(1), [(EventType.CHANGED, self.p("n"))])
        other.set(self.p("n"), b"2")
        drain(self.zk)
        self.assertEqual(len(ev.snapshot()), 1)

    def test_data_and_exists_watches_fire_deleted(self):
        self.zk.create(self.p("n"))
        ev1, ev2 = Events(), Events()
        self.zk.get(self.p("n"), watch=ev1)
        self.zk.exists(self.p("n"), watch=ev2)
        self.kazoo().delete(self.p("n"))
        self.assertEqual(ev1.wait(1), [(EventType.DELETED, self.p("n"))])
        self.assertEqual(ev2.wait(1), [(EventType.DELETED, self.p("n"))])

    def test_child_watch_fires_for_children_not_for_data(self):
        self.zk.create(self.p("c"))
        other = self.kazoo()
        ev = Events()
        self.zk.get_children(self.base, watch=ev)
        other.set(self.p("c"), b"data")   # a child's data: no child event
        other.set(self.base, b"data")     # the node's own data: no child event
        drain(self.zk)
        self.assertEqual(ev.snapshot(), [])
        other.create(self.p("d"))
        self.assertEqual(ev.wait(1), [(EventType.CHILD, self.base)])
        ev2 = Events()
        self.zk.get_children(self.base, watch=ev2)
        other.delete(self.p("d"))
        self.assertEqual(ev2.wait(1), [(EventType.CHILD, self.base)])
        drain(self.zk)
        self.assertEqual(len(ev.snapshot()), 1)

    def test_child_watch_on_deleted_node_gets_deleted(self):
        self.zk.create(self.p("c"))
        ev = Events()
        self.zk.get_children(self.p("c"), watch=ev)
        self.kazoo().delete(self.p("c"))
        self.assertEqual(ev.wait(1), [(EventType.DELETED, self.p("c"))])

    def test_data_watch_ignores_child_changes_and_set_acl(self):
        self.zk.create(self.p("n"))
        ev = Events()
        self.zk.get(self.p("n"), watch=ev)
        other = self.kazoo()
        other.create(self.p("n", "kid"))
        other.delete(self.p("n", "kid"))
        other.set_acls(self.p("n"), [ACL(31, Id("world", "anyone"))])
        drain(self.zk)
        self.assertEqual(ev.snapshot(), [])

    def test_raw_exact_events_and_dedup(self):
        """Exactly which events each change sends to one connection, in order."""
        w = self.raw()
        c = self.raw()
        self.ok(c.create(self.p("n")))
        self.ok(w.exists(self.p("n"), watch=True))
        self.ok(w.get_data(self.p("n"), watch=True))
        self.ok(w.get_children(self.p("n"), watch=True))
        self.ok(w.get_children(self.base, watch=True))
        self.assertEqual(w.exists(self.p("missing"), watch=True).err, raw.NO_NODE)
        # getData on a missing node leaves no watch behind.
        self.assertEqual(w.get_data(self.p("missing2"), watch=True).err, raw.NO_NODE)
        self.ok(c.delete(self.p("n")))
        self.ok(c.create(self.p("missing2")))
        self.ok(c.create(self.p("missing")))
        got = [e.key() for e in w.take_events()]
        # exists + getData on n are one data watch; its child watch is de-duplicated with it.
        self.assertEqual(got, [(raw.NODE_DELETED, self.p("n")),
                               (raw.NODE_CHILDREN_CHANGED, self.base),
                               (raw.NODE_CREATED, self.p("missing"))])

    def test_own_change_event_precedes_own_reply(self):
        r = self.raw()
        self.ok(r.create(self.p("n")))
        self.ok(r.get_data(self.p("n"), watch=True))
        self.ok(r.set_data(self.p("n"), b"x"))
        self.assertEqual([e.key() for e in r.events], [(raw.NODE_DATA_CHANGED, self.p("n"))])

    def test_notification_header_zxid(self):
        r = self.raw()
        self.ok(r.create(self.p("n")))
        self.ok(r.get_data(self.p("n"), watch=True))
        reply = r.set_data(self.p("n"), b"x")
        self.ok(reply)
        (ev,) = r.events
        if IS_ZK38:
            self.assertEqual(ev.zxid, -1)  # 3.8 sends -1 (NIOServerCnxn.process)
        else:
            self.assertEqual(ev.zxid, reply.zxid)  # 3.9 sends the zxid of the change
        self.assertEqual(ev.state, 3)  # SyncConnected

    def test_persistent_watch(self):
        w = self.raw()
        c = self.kazoo()
        self.zk.create(self.p("n"))
        self.ok(w.add_watch(self.p("n"), raw.ADD_WATCH_PERSISTENT))
        c.set(self.p("n"), b"1")
        c.set(self.p("n"), b"2")
        c.create(self.p("n", "k"))
        c.create(self.p("n", "k", "deep"))  # not a child of n: nothing
        c.set(self.p("n", "k"), b"x")       # a child's data: nothing
        c.delete(self.p("n", "k", "deep"))
        c.delete(self.p("n", "k"))
        c.delete(self.p("n"))
        c.create(self.p("n"))
        self.assertEqual([e.key() for e in w.take_events()], [
            (raw.NODE_DATA_CHANGED, self.p("n")), (raw.NODE_DATA_CHANGED, self.p("n")),
            (raw.NODE_CHILDREN_CHANGED, self.p("n")), (raw.NODE_CHILDREN_CHANGED, self.p("n")),
            (raw.NODE_DELETED, self.p("n")), (raw.NODE_CREATED, self.p("n"))])

    def test_persistent_recursive_watch(self):
        w = self.raw()
        c = self.kazoo()
        self.ok(w.add_watch(self.p("r"), raw.ADD_WATCH_PERSISTENT_RECURSIVE))
        c.create(self.p("r"))
        c.create(self.p("r", "a"))
        c.create(self.p("r", "a", "b"))
        c.set(self.p("r", "a", "b"), b"x")
        c.create(self.p("rx"))  # shares a name prefix, not a descendant
        c.delete(self.p("r", "a", "b"))
        c.set_acls(self.p("r", "a"), [ACL(31, Id("world", "anyone"))])
        self.assertEqual([e.key() for e in w.take_events()], [
            (raw.NODE_CREATED, self.p("r")), (raw.NODE_CREATED, self.p("r", "a")),
            (raw.NODE_CREATED, self.p("r", "a", "b")),
            (raw.NODE_DATA_CHANGED, self.p("r", "a", "b")),
            (raw.NODE_DELETED, self.p("r", "a", "b"))])

    def test_recursive_and_standard_watch_on_same_path(self):
        w = self.raw()
        self.zk.create(self.p("n"))
        self.ok(w.add_watch(self.base, raw.ADD_WATCH_PERSISTENT_RECURSIVE))
        self.ok(w.get_data(self.p("n"), watch=True))
        self.zk.set(self.p("n"), b"1")
        self.zk.set(self.p("n"), b"2")
        # One event per change for this connection; the one-shot watch is used up by the first.
        self.assertEqual([e.key() for e in w.take_events()],
                         [(raw.NODE_DATA_CHANGED, self.p("n")),
                          (raw.NODE_DATA_CHANGED, self.p("n"))])
        self.assertEqual(w.check_watches(self.p("n"), raw.WT_DATA).err, raw.NO_WATCHER)

    def test_check_and_remove_watches(self):
        w = self.raw()
        self.zk.create(self.p("n"))
        self.assertEqual(w.check_watches(self.p("n"), raw.WT_DATA).err, raw.NO_WATCHER)
        self.assertEqual(w.remove_watches(self.p("n"), raw.WT_ANY).err, raw.NO_WATCHER)
        self.ok(w.get_data(self.p("n"), watch=True))
        self.ok(w.get_children(self.p("n"), watch=True))
        self.ok(w.check_watches(self.p("n"), raw.WT_DATA))
        self.ok(w.check_watches(self.p("n"), raw.WT_CHILDREN))
        self.ok(w.remove_watches(self.p("n"), raw.WT_DATA))
        self.assertEqual(w.check_watches(self.p("n"), raw.WT_DATA).err, raw.NO_WATCHER)
        self.ok(w.check_watches(self.p("n"), raw.WT_CHILDREN))
        self.zk.set(self.p("n"), b"x")       # the data watch is gone: no event
        self.zk.create(self.p("n", "k"))     # the child watch fires
        self.assertEqual([e.key() for e in w.take_events()],
                         [(raw.NODE_CHILDREN_CHANGED, self.p("n"))])
        self.ok(w.get_data(self.p("n"), watch=True))
        self.ok(w.get_children(self.p("n"), watch=True))
        self.ok(w.remove_watches(self.p("n"), raw.WT_ANY))
        self.assertEqual(w.check_watches(self.p("n"), raw.WT_ANY).err, raw.NO_WATCHER)
        self.zk.set(self.p("n"), b"y")
        self.zk.delete(self.p("n", "k"))
        self.assertEqual(w.take_events(), [])
        # Another connection's watches are not ours to check or remove.
        self.ok(w.get_data(self.p("n"), watch=True))
        other = self.raw()
        if IS_ZK38:
            # ZooKeeper 3.8.0's WatchManager.containsWatcher answers for any connection's
            # watch on the path (fixed later); Conclave checks the caller's own watches.
            self.ok(other.check_watches(self.p("n"), raw.WT_DATA))
        else:
            self.assertEqual(other.check_watches(self.p("n"), raw.WT_DATA).err, raw.NO_WATCHER)
        self.assertEqual(other.remove_watches(self.p("n"), raw.WT_DATA).err, raw.NO_WATCHER)
        self.ok(w.check_watches(self.p("n"), raw.WT_DATA))

    def test_remove_persistent_watches(self):
        w = self.raw()
        self.zk.create(self.p("n"))
        self.ok(w.add_watch(self.p("n"), raw.ADD_WATCH_PERSISTENT))
        self.ok(w.add_watch(self.base, raw.ADD_WATCH_PERSISTENT_RECURSIVE))
        self.ok(w.check_watches(self.p("n"), raw.WT_ANY))
        self.ok(w.remove_watches(self.p("n"), raw.WT_ANY))
        self.ok(w.remove_watches(self.base, raw.WT_ANY))
        self.zk.set(self.p("n"), b"x")
        self.zk.create(self.p("n", "k"))
        self.assertEqual(w.take_events(), [])

    def test_set_watches_on_reconnect(self):
        c = self.raw()
        for name in ("same", "changed", "kids", "kids-same", "appeared"):
            if name != "appeared":
                self.ok(c.create(self.p(name)))
        rel = c.sync("/").zxid
        self.ok(c.set_data(self.p("changed"), b"x"))
        self.ok(c.create(self.p("kids", "k")))
        self.ok(c.create(self.p("appeared")))
        w = self.raw()
        reply = w.set_watches(rel,
                              data=[self.p("same"), self.p("changed"), self.p("deleted")],
                              exist=[self.p("appeared"), self.p("absent")],
                              child=[self.p("kids"), self.p("kids-same"), self.p("gone")])
        self.assertEqual(reply.err, raw.OK)
        fired = sorted(e.key() for e in w.events)
        self.assertEqual(fired, sorted([
            (raw.NODE_DELETED, self.p("deleted")), (raw.NODE_DATA_CHANGED, self.p("changed")),
            (raw.NODE_CREATED, self.p("appeared")), (raw.NODE_CHILDREN_CHANGED, self.p("kids")),
            (raw.NODE_DELETED, self.p("gone"))]))
        w.events.clear()
        # The rest were registered and fire on the next change.
        self.ok(c.set_data(self.p("same"), b"1"))
        self.ok(c.create(self.p("absent")))
        self.ok(c.create(self.p("kids-same", "k")))
        self.assertEqual(sorted(e.key() for e in w.take_events()), sorted([
            (raw.NODE_DATA_CHANGED, self.p("same")), (raw.NODE_CREATED, self.p("absent")),
            (raw.NODE_CHILDREN_CHANGED, self.p("kids-same"))]))


    def test_set_watches2_restores_persistent_watches(self):
        c = self.raw()
        self.ok(c.create(self.p("p")))
        self.ok(c.create(self.p("r")))
        rel = c.sync("/").zxid
        self.ok(c.set_data(self.p("p"), b"before"))  # persistent watches are just re-added
        w = self.raw()
        reply = w.set_watches2(rel, data=[self.p("p")], persistent=[self.p("p")],
                               persistent_recursive=[self.p("r")])
        self.assertEqual(reply.err, raw.OK)
        self.assertEqual([e.key() for e in w.events], [(raw.NODE_DATA_CHANGED, self.p("p"))])
        w.events.clear()
        self.ok(c.set_data(self.p("p"), b"1"))
        self.ok(c.create(self.p("p", "k")))
        self.ok(c.create(self.p("r", "k")))
        self.ok(c.set_data(self.p("r", "k"), b"x"))
        self.assertEqual([e.key() for e in w.take_events()], [
            (raw.NODE_DATA_CHANGED, self.p("p")), (raw.NODE_CHILDREN_CHANGED, self.p("p")),
            (raw.NODE_CREATED, self.p("r", "k")), (raw.NODE_DATA_CHANGED, self.p("r", "k"))])
        self.ok(w.check_watches(self.p("p"), raw.WT_ANY))


# ---------------------------------------------------------------------------------------
class SessionTest(CompatTest):
    def test_timeout_negotiation(self):
        self.assertEqual(self.raw(timeout_ms=10).timeout_ms, MIN_SESSION_TIMEOUT_MS)
        self.assertEqual(self.raw(timeout_ms=600000).timeout_ms, MAX_SESSION_TIMEOUT_MS)
        self.assertEqual(self.raw(timeout_ms=3000).timeout_ms, 3000)
        self.assertEqual(self.raw(timeout_ms=MIN_SESSION_TIMEOUT_MS).timeout_ms,
                         MIN_SESSION_TIMEOUT_MS)

    def test_handshake_response_shape(self):
        r = self.raw()
        resp = r.connect_response
        self.assertEqual(resp.protocol_version, 0)
        self.assertEqual(len(resp.passwd), 16)
        self.assertNotEqual(resp.session_id, 0)
        self.assertIs(resp.read_only, False)
        old = self.raw(read_only=None)  # a 44-byte request from an old client
        self.assertIsNone(old.connect_response.read_only)
        self.ok(old.exists("/"))

    def test_ephemeral_removed_on_close(self):
        owner = self.kazoo()
        owner.create(self.p("e"), ephemeral=True)
        ev = Events()
        self.assertIsNotNone(self.zk.exists(self.p("e"), watch=ev))
        owner.stop()
        self.assertEqual(ev.wait(1), [(EventType.DELETED, self.p("e"))])
        self.assertIsNone(self.zk.exists(self.p("e")))

    def test_close_session_request(self):
        r = self.raw()
        self.ok(r.create(self.p("e"), flags=raw.EPHEMERAL))
        self.ok(r.close_session())
        self.assertTrue(r.expect_closed())
        self.assertIsNone(self.zk.exists(self.p("e")))
        # The closed session cannot be resumed.
        again = self.raw(session_id=r.session_id, passwd=r.passwd)
        self.assertEqual(again.connect_response.session_id, 0)

    def test_ephemeral_removed_on_expiry(self):
        r = self.raw(timeout_ms=MIN_SESSION_TIMEOUT_MS)
        self.ok(r.create(self.p("e"), flags=raw.EPHEMERAL))
        ev = Events()
        self.zk.exists(self.p("e"), watch=ev)
        started = time.monotonic()
        r.close()
        self.assertEqual(ev.wait(1), [(EventType.DELETED, self.p("e"))])
        self.assertGreaterEqual(time.monotonic() - started, MIN_SESSION_TIMEOUT_MS / 1000 * 0.5)
        expired = self.raw(session_id=r.session_id, passwd=r.passwd)
        self.assertEqual(expired.connect_response.session_id, 0)
        self.assertEqual(expired.connect_response.timeout_ms, 0)
        self.assertTrue(expired.expect_closed())

    def test_reattach_with_id_and_password(self):
        r = self.raw(timeout_ms=MAX_SESSION_TIMEOUT_MS)
        self.ok(r.create(self.p("e"), flags=raw.EPHEMERAL))
        r.close()  # the session lives on for its timeout
        zk = self.kazoo(client_id=(r.session_id, r.passwd))
        self.assertEqual(zk.client_id[0], r.session_id)
        self.assertEqual(zk.exists(self.p("e")).ephemeralOwner, r.session_id)
        zk.create(self.p("e2"), ephemeral=True)
        zk.stop()
        self.assertIsNone(self.zk.exists(self.p("e")))
        self.assertIsNone(self.zk.exists(self.p("e2")))

    def test_reattach_moves_session_from_old_connection(self):
        first = self.raw(timeout_ms=MAX_SESSION_TIMEOUT_MS)
        second = self.raw(session_id=first.session_id, passwd=first.passwd,
                          timeout_ms=MAX_SESSION_TIMEOUT_MS)
        self.assertEqual(second.session_id, first.session_id)
        self.assertEqual(second.passwd, first.passwd)
        self.assertTrue(first.expect_closed())
        self.ok(second.create(self.p("e"), flags=raw.EPHEMERAL))

    def test_wrong_password_is_expired(self):
        r = self.raw(timeout_ms=MAX_SESSION_TIMEOUT_MS)
        bad = bytes(b ^ 0xFF for b in r.passwd)
        other = self.raw(session_id=r.session_id, passwd=bad)
        resp = other.connect_response
        self.assertEqual((resp.session_id, resp.timeout_ms, resp.passwd), (0, 0, b"\0" * 16))
        self.assertTrue(other.expect_closed())
        # The session itself lives on: its owner re-attaches with the right password.
        # (ZooKeeper closes the session's current connection before it checks the password,
        # so the owner's old connection is not used here.)
        again = self.raw(session_id=r.session_id, passwd=r.passwd)
        self.assertEqual(again.session_id, r.session_id)
        self.ok(again.exists("/"))

    def test_kazoo_wrong_password_gets_a_new_session(self):
        r = self.raw(timeout_ms=MAX_SESSION_TIMEOUT_MS)
        states = []
        zk = KazooClient(hosts=SERVER.hosts, client_id=(r.session_id, b"\x01" * 16))
        self.clients.append(zk)
        zk.add_listener(states.append)
        zk.start(timeout=DEADLINE_S)  # kazoo starts a fresh session after the expiry
        self.assertNotEqual(zk.client_id[0], r.session_id)
        self.assertEqual(states[-1], KazooState.CONNECTED)


# ---------------------------------------------------------------------------------------
class AclTest(CompatTest):
    def test_world_read_only(self):
        self.zk.create(self.p("ro"), b"v", acl=[ACL(1, Id("world", "anyone"))])
        self.assertEqual(self.zk.get(self.p("ro"))[0], b"v")
        with self.assertRaises(NoAuthError):
            self.zk.set(self.p("ro"), b"w")
        with self.assertRaises(NoAuthError):
            self.zk.create(self.p("ro", "k"))
        with self.assertRaises(NoAuthError):
            self.zk.set_acls(self.p("ro"), [ACL(31, Id("world", "anyone"))])

    def test_digest(self):
        self.zk.create(self.p("d"), b"secret", acl=[make_digest_acl("alice", "pw", all=True)])
        with self.assertRaises(NoAuthError):
            self.zk.get(self.p("d"))
        alice = self.kazoo(auth_data=[("digest", "alice:pw")])
        self.assertEqual(alice.get(self.p("d"))[0], b"secret")
        alice.set(self.p("d"), b"new")
        wrong = self.kazoo(auth_data=[("digest", "alice:wrong")])
        with self.assertRaises(NoAuthError):
            wrong.get(self.p("d"))
        acl, _ = alice.get_acls(self.p("d"))
        self.assertEqual(acl, [ACL(31, Id("digest", make_digest_acl_credential("alice", "pw")))])

    def test_auth_scheme_uses_caller_ids(self):
        with self.assertRaises(InvalidACLError):  # no authenticated id to use
            self.zk.create(self.p("a"), acl=[ACL(31, Id("auth", ""))])
        bob = self.kazoo(auth_data=[("digest", "bob:pw")])
        bob.create(self.p("a"), acl=[ACL(31, Id("auth", ""))])
        acl, _ = bob.get_acls(self.p("a"))
        self.assertEqual(acl, [ACL(31, Id("digest", make_digest_acl_credential("bob", "pw")))])
        with self.assertRaises(NoAuthError):
            self.zk.get(self.p("a"))

    def test_super_digest_bypasses_acls(self):
        self.zk.create(self.p("locked"), b"v", acl=[make_digest_acl("x", "y", read=True)])
        with self.assertRaises(NoAuthError):
            self.zk.set(self.p("locked"), b"w")
        root = self.kazoo(auth_data=[("digest", f"super:{SUPER_PASSWORD}")])
        root.set(self.p("locked"), b"w")
        self.assertEqual(root.get(self.p("locked"))[0], b"w")
        root.set_acls(self.p("locked"), [ACL(31, Id("world", "anyone"))])
        self.zk.delete(self.p("locked"))
        not_root = self.kazoo(auth_data=[("digest", "super:not-the-password")])
        self.zk.create(self.p("locked2"), acl=[make_digest_acl("x", "y", read=True)])
        with self.assertRaises(NoAuthError):
            not_root.get(self.p("locked2"))

    def test_ip(self):
        self.zk.create(self.p("local"), b"v", acl=[ACL(31, Id("ip", "127.0.0.1"))])
        self.zk.create(self.p("net"), b"v", acl=[ACL(31, Id("ip", "127.0.0.0/8"))])
        self.zk.create(self.p("far"), b"v", acl=[ACL(31, Id("ip", "10.1.2.0/24"))])
        self.assertEqual(self.zk.get(self.p("local"))[0], b"v")
        self.assertEqual(self.zk.get(self.p("net"))[0], b"v")
        with self.assertRaises(NoAuthError):
            self.zk.get(self.p("far"))

    def test_invalid_acls(self):
        r = self.raw()
        cases = {
            "empty": [],
            "scheme": [(31, "nosuchscheme", "x")],
            "digest": [(31, "digest", "no-colon")],
            "ip": [(31, "ip", "300.1.1.1")],
            "ipbits": [(31, "ip", "127.0.0.1/33")],
            "world": [(31, "world", "someone")],
        }
        for name, acl in cases.items():
            self.assertEqual(r.create(self.p(name), acls=acl).err, raw.INVALID_ACL, name)
            self.assertEqual(r.exists(self.p(name)).err, raw.NO_NODE, name)
        self.zk.create(self.p("n"))
        self.assertEqual(r.set_acl(self.p("n"), []).err, raw.INVALID_ACL)
        self.assertEqual(r.set_acl(self.p("n"), [(31, "auth", "")]).err, raw.INVALID_ACL)

    def test_permission_for_each_operation(self):
        def only(perms):
            return [ACL(perms, Id("world", "anyone"))]

        r = self.raw()
        admin = self.kazoo(auth_data=[("digest", f"super:{SUPER_PASSWORD}")])
        admin.create(self.p("nocreate"), acl=only(31 & ~raw.PERM_CREATE))
        self.assertEqual(r.create(self.p("nocreate", "k")).err, raw.NO_AUTH)
        admin.create(self.p("nodelete", "k"), makepath=True)
        admin.set_acls(self.p("nodelete"), only(31 & ~raw.PERM_DELETE))
        self.assertEqual(r.delete(self.p("nodelete", "k")).err, raw.NO_AUTH)
        admin.create(self.p("nowrite"), acl=only(31 & ~raw.PERM_WRITE))
        self.assertEqual(r.set_data(self.p("nowrite"), b"x").err, raw.NO_AUTH)
        admin.create(self.p("noread"), acl=only(31 & ~raw.PERM_READ))
        self.assertEqual(r.get_data(self.p("noread")).err, raw.NO_AUTH)
        self.assertEqual(r.get_children(self.p("noread")).err, raw.NO_AUTH)
        self.assertEqual(r.get_children2(self.p("noread")).err, raw.NO_AUTH)
        self.ok(r.get_acl(self.p("noread")))  # getACL needs READ or ADMIN
        admin.create(self.p("noadmin"), acl=only(31 & ~raw.PERM_ADMIN))
        self.assertEqual(r.set_acl(self.p("noadmin"), raw.WORLD_ANYONE).err, raw.NO_AUTH)
        self.ok(r.get_acl(self.p("noadmin")))
        admin.create(self.p("nothing"), acl=only(0))
        self.assertEqual(r.get_acl(self.p("nothing")).err, raw.NO_AUTH)
        # Deleting a node needs DELETE on its parent, not on the node itself.
        admin.create(self.p("nodelete2"), acl=only(0))
        self.ok(r.delete(self.p("nodelete2")))
        # exists: ZooKeeper 3.8.0 does not check READ (ZOOKEEPER-2590 came in 3.8.4/3.9.2);
        # Conclave follows the later releases.
        reply = r.exists(self.p("noread"))
        if IS_ZK38:
            self.ok(reply)
        else:
            self.assertEqual(reply.err, raw.NO_AUTH)
        # A multi with an op lacking permission fails as a whole, that op with NoAuth.
        reply = r.multi([(raw.OP_CREATE, raw.create_body(self.p("fine"))),
                         (raw.OP_SET_DATA, raw.set_data_body(self.p("nowrite"), b"x"))])
        self.assertEqual(raw.parse_multi(reply.body),
                         [("error", raw.OK), ("error", raw.NO_AUTH)])

    def test_get_acl_masks_digest_without_admin(self):
        readers = [ACL(raw.PERM_READ, Id("world", "anyone")), make_digest_acl("carol", "pw",
                                                                              all=True)]
        self.zk.create(self.p("n"), acl=readers)
        acl, _ = self.zk.get_acls(self.p("n"))
        ids = sorted((a.id.scheme, a.id.id) for a in acl)
        self.assertEqual(ids, sorted([("world", "anyone"), ("digest", "carol:x")]))

    def test_unknown_auth_scheme_fails_and_closes(self):
        r = self.raw()
        reply = r.add_auth("nosuchscheme", b"whatever")
        self.assertEqual(reply.err, raw.AUTH_FAILED)
        self.assertTrue(r.expect_closed())


# ---------------------------------------------------------------------------------------
OK, BA, NN, NE, NA = raw.OK, raw.BAD_ARGUMENTS, raw.NO_NODE, raw.NODE_EXISTS, raw.NO_AUTH


class BadInputTest(CompatTest):
    # (path, create, setData, delete, setACL, getData, exists) as ZooKeeper 3.8 answers, with
    # /e existing and /nx missing. ZooKeeper's checks run in a fixed order per operation: create
    # rejects a path without '/' or with NUL, then looks up the parent (NoNode), then validates
    # the full path; delete never validates beyond that first check (so "/e/." is NoNode);
    # setData/setACL validate first; reads just look the path up ("" is the root's alias).
    PATH_TABLE = [
        ("", BA, BA, BA, BA, OK, OK),
        ("x", BA, BA, BA, BA, NN, NN),
        ("/e/", BA, BA, NN, BA, NN, NN),
        ("/e//x", NN, BA, NN, BA, NN, NN),
        ("//e", BA, BA, NN, BA, NN, NN),
        ("/e/.", BA, BA, NN, BA, NN, NN),
        ("/e/..", BA, BA, NN, BA, NN, NN),
        ("/e/./x", NN, BA, NN, BA, NN, NN),
        ("/nx/", NN, BA, NN, BA, NN, NN),
        ("/nx//x", NN, BA, NN, BA, NN, NN),
        ("/e\0x", BA, BA, BA, BA, NN, BA),
        ("/e/\x01", BA, BA, NN, BA, NN, NN),
        ("/", NE, OK, BA, OK, OK, OK),
    ]

    def check_table(self, table, prefix_e):
        r = self.raw()
        self.ok(r.create("/e")) if prefix_e else None
        for path, *expected in table:
            got = [r.create(path).err, r.set_data(path, b"").err, r.delete(path).err,
                   r.set_acl(path, raw.WORLD_ANYONE).err, r.get_data(path).err, r.exists(path).err]
            self.assertEqual(got, expected, repr(path))

    def test_bad_paths(self):
        try:
            self.check_table(self.PATH_TABLE, True)
        finally:
            self.zk.delete("/e", recursive=True)

    def test_changes_under_zookeeper(self):
        """ZooKeeper lets clients create, change and delete nodes under /zookeeper (quotas are
        written there by clients), but never delete its built-in nodes; /zookeeper/config is
        read-only by its ACL."""
        table = [
            ("/zookeeper", NE, OK, BA, OK, OK, OK),
            ("/zookeeper/quota", NE, OK, BA, OK, OK, OK),
            ("/zookeeper/config", NE, NA, BA, NA, OK, OK),
            ("/zookeeper/x", OK, OK, OK, NN, NN, NN),
            ("/zookeeper/quota/x", OK, OK, OK, NN, NN, NN),
        ]
        self.check_table(table, False)
        self.assertEqual(self.zk.get_acls("/zookeeper/config")[0], [ACL(1, Id("world", "anyone"))])

    def test_data_over_jute_maxbuffer_closes_connection(self):
        r = self.raw()
        self.ok(r.create(self.p("big")))
        near = b"x" * (JUTE_MAX_BUFFER - 1024)
        self.ok(r.set_data(self.p("big"), near))
        self.assertEqual(self.zk.get(self.p("big"))[0], near)
        try:
            r.send_request(raw.OP_SET_DATA,
                           raw.set_data_body(self.p("big"), b"y" * (JUTE_MAX_BUFFER + 1)))
        except raw.ConnectionClosed:
            pass  # the server may close as soon as it has read the length
        self.assertTrue(r.expect_closed())
        self.assertEqual(self.zk.get(self.p("big"))[0], near)

    def test_unknown_opcode_is_unimplemented_and_closes(self):
        r = self.raw()
        reply, _ = r.call(999)
        self.assertEqual(reply.err, raw.UNIMPLEMENTED)
        self.assertTrue(r.expect_closed())
        self.ok(self.raw().exists("/"))


# ---------------------------------------------------------------------------------------
class FourLetterWordTest(unittest.TestCase):
    def test_ruok(self):
        self.assertEqual(four_letter_word(SERVER.port, "ruok"), "imok")

    def test_srvr(self):
        out = four_letter_word(SERVER.port, "srvr")
        self.assertIn(f"Mode: {EXPECTED_MODE}", out)
        self.assertRegex(out, r"Zxid: 0x[0-9a-f]+")
        self.assertIn("Node count:", out)

    def test_mntr(self):
        out = four_letter_word(SERVER.port, "mntr")
        values = dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)
        for key in ("zk_version", "zk_avg_latency", "zk_max_latency", "zk_min_latency",
                    "zk_packets_received", "zk_packets_sent", "zk_num_alive_connections",
                    "zk_outstanding_requests", "zk_server_state", "zk_znode_count",
                    "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size",
                    "zk_open_file_descriptor_count", "zk_max_file_descriptor_count"):
            self.assertIn(key, values)
        self.assertEqual(values["zk_server_state"], EXPECTED_MODE)


def main():
    global ARGS, KIND, IS_ZK38, IS_CONCLAVE
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", choices=SERVER_KINDS, required=True)
    parser.add_argument("--binary", help="path to conclave-server (for --server conclave*)")
    parser.add_argument("-k", action="append", default=[], help="only tests matching")
    parser.add_argument("-v", action="store_true")
    ARGS = parser.parse_args()
    if ARGS.server.startswith("conclave") and not ARGS.binary:
        parser.error("--binary is required with --server conclave*")
    global EXPECTED_MODE
    # The ensemble is seen through a follower.
    EXPECTED_MODE = "follower" if ARGS.server == "conclave-ensemble" else "standalone"
    KIND = "conclave" if ARGS.server.startswith("conclave") else ARGS.server
    IS_ZK38 = KIND == "zookeeper"
    IS_CONCLAVE = KIND == "conclave"
    argv = [sys.argv[0]] + (["-v"] if ARGS.v else [])
    for k in ARGS.k:
        argv += ["-k", k]
    unittest.main(module=__name__, argv=argv)


ARGS = None
if __name__ == "__main__":
    main()
