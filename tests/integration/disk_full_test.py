#!/usr/bin/python3
"""Disk full: writes fail cleanly, reads keep working, writes succeed again once space returns,
and every acknowledged write survives a restart.

The server's dataDir is a small tmpfs (needs root and a permitted `mount -t tmpfs`; the test
skips itself with exit status 77 otherwise). A filler file beside the data takes most of the
space, writes fill the rest until they fail (an error reply or a closed connection, never a
dead server); deleting the filler gives the space back.

    /usr/bin/python3 disk_full_test.py --server conclave --binary PATH -v
"""
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import integ_util
from integ_util import make_server, wait_for, wait_serving
import zkraw as R

from kazoo.client import KazooClient, KazooState

ARGS = None
logging.getLogger("kazoo.client").setLevel(logging.ERROR)  # reconnects are expected here

TMPFS_BYTES = 32 << 20
HEADROOM_BYTES = 3 << 20       # what the filler leaves for the server to fill
NODE_BYTES = 4096
PIPELINE_DEPTH = 16
FILL_WRITES_MAX = 4 * TMPFS_BYTES // NODE_BYTES  # far more than fits: the disk must fill
AFTER_FAILURE_TRIES = 40       # writes tried while full: each fails cleanly or succeeds
RECOVERY_TIMEOUT_S = 60        # for writes to work again once space is back
SESSION_TIMEOUT_MS = 30000
ROOT = "/full"
SKIP_EXIT_CODE = 77


def mount_tmpfs(path, size_bytes):
    """Mounts a tmpfs at `path`; returns None, or why it cannot."""
    if os.geteuid() != 0:
        return "not root: mounting a tmpfs needs root"
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", path],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"mount failed: {e}"
    if done.returncode != 0:
        return f"mount -t tmpfs not permitted here: {done.stderr.strip()}"
    return None


class Writer:
    """A raw session that writes numbered nodes and remembers which were acknowledged."""

    def __init__(self, port):
        self.port = port
        self.conn = None
        self.session_id = 0
        self.passwd = None
        self.next_no = 0
        self.acked = {}        # path -> data
        self.errors = {}       # error code -> count
        self.connection_losses = 0

    def ensure_connected(self):
        """Connects (re-attaching the session). False if the server does not take us now."""
        if self.conn is not None:
            return True
        try:
            conn = R.RawConnection(self.port, timeout=30.0)
            resp = conn.handshake(SESSION_TIMEOUT_MS, self.session_id, self.passwd)
        except (OSError, R.ConnectionClosed):
            return False
        if self.session_id and resp.session_id != self.session_id:
            raise AssertionError(f"session {self.session_id:#x} lost: {resp}")
        self.session_id, self.passwd = resp.session_id, resp.passwd
        self.conn = conn
        return True

    def drop(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def write_batch(self, depth):
        """Pipelines `depth` creates. Returns (acknowledged, failed) counts; a failure is an
        error reply or the connection's loss (then the unanswered writes' outcome is unknown)."""
        if not self.ensure_connected():
            self.connection_losses += 1
            return 0, depth
        sent = []
        try:
            for _ in range(depth):
                path = f"{ROOT}/n{self.next_no:07d}"
                data = (f"{self.next_no}:".encode() + os.urandom(NODE_BYTES // 2).hex().encode()
                        )[:NODE_BYTES]
                self.next_no += 1
                xid = self.conn.send_request(R.OP_CREATE, R.create_body(path, data))
                sent.append((xid, path, data))
        except R.ConnectionClosed:
            pass
        acked = failed = 0
        try:
            for xid, path, data in sent:
                hdr, _ = self.conn.read_reply()
                assert hdr.xid == xid, (hdr, xid)
                if hdr.err == R.OK:
                    self.acked[path] = data
                    acked += 1
                else:
                    self.errors[hdr.err] = self.errors.get(hdr.err, 0) + 1
                    failed += 1
        except (R.ConnectionClosed, OSError):
            self.connection_losses += 1
            self.drop()
            failed = depth - acked
        return acked, failed


class DiskFullTest(unittest.TestCase):

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="disk-full-test-")
        self.mount = os.path.join(self.workdir, "data")
        os.makedirs(self.mount)
        why = mount_tmpfs(self.mount, TMPFS_BYTES)
        if why:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.skipTest(why)
        self.srv = None
        self.kazoo = None

    def tearDown(self):
        if self.kazoo is not None:
            self.kazoo.stop()
            self.kazoo.close()
        if self.srv is not None:
            self.srv.cleanup()
        subprocess.run(["umount", self.mount], capture_output=True, timeout=60)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def assert_alive(self, when):
        self.assertTrue(self.srv.alive(),
                        f"the server died {when}; log:\n{self.srv.log_tail()}")

    def test_writes_fail_cleanly_and_recover(self):
        srv = self.srv = make_server(ARGS.server, binary=ARGS.binary, workdir=self.workdir)
        srv.start()
        wait_serving(srv)
        kazoo = self.kazoo = KazooClient(hosts=srv.hosts, timeout=SESSION_TIMEOUT_MS / 1000)
        kazoo_states = []
        kazoo.add_listener(kazoo_states.append)
        kazoo.start(timeout=30)
        kazoo_session = kazoo.client_id[0]
        kazoo.create(ROOT, b"root")
        kazoo.create(f"{ROOT}-kazoo", b"kazoo's own node")

        # Fill most of the tmpfs with a file of our own, beside the server's data.
        filler = os.path.join(self.mount, "filler")
        free = shutil.disk_usage(self.mount).free
        with open(filler, "wb") as f:
            f.truncate(0)
            chunk = b"\0" * (1 << 20)
            remaining = max(0, free - HEADROOM_BYTES)
            while remaining > 0:
                f.write(chunk[:min(len(chunk), remaining)])
                remaining -= min(len(chunk), remaining)
        print(f"\n  disk full: tmpfs {TMPFS_BYTES >> 20} MiB, filler "
              f"{os.path.getsize(filler) >> 20} MiB, "
              f"{shutil.disk_usage(self.mount).free >> 10} KiB left", file=sys.stderr)

        # Write until writes fail.
        w = Writer(srv.port)
        first_failure = None
        while w.next_no < FILL_WRITES_MAX:
            acked, failed = w.write_batch(PIPELINE_DEPTH)
            if failed:
                first_failure = w.next_no
                break
        self.assertIsNotNone(first_failure, f"{FILL_WRITES_MAX} writes never filled the disk")
        self.assert_alive("when the disk filled")
        acked_at_full = len(w.acked)
        print(f"  disk full: first failure after {acked_at_full} acknowledged writes "
              f"(errors {w.errors}, connection losses {w.connection_losses})", file=sys.stderr)

        # While full: more writes fail cleanly (or succeed if they fit); the server stays up.
        for _ in range(AFTER_FAILURE_TRIES):
            w.write_batch(1)
            self.assert_alive("while the disk was full")
            time.sleep(0.05)  # spread the tries over the server's retry interval
        unexpected = {e: n for e, n in w.errors.items() if e != R.SYSTEM_ERROR}
        self.assertEqual(unexpected, {}, "writes on a full disk must fail with SystemError "
                                         "(or a connection loss)")

        # Reads keep working: the kazoo session and the raw session see everything acknowledged.
        wait_for(lambda: kazoo.state == KazooState.CONNECTED, 30, "kazoo to reconnect")
        self.assertEqual(kazoo.get(f"{ROOT}-kazoo")[0], b"kazoo's own node")
        children = set(wait_for(lambda: kazoo.get_children(ROOT), 30, "getChildren while full"))
        missing = [p for p in w.acked if p.rsplit("/", 1)[1] not in children]
        self.assertEqual(missing, [], "acknowledged writes missing while the disk is full")
        self.assertTrue(wait_for(w.ensure_connected, 30, "re-attach while the disk is full"))
        for path in sorted(w.acked)[-20:]:
            hdr, r = w.conn.call(R.OP_GET_DATA, R.get_data_body(path))
            self.assertEqual(hdr.err, R.OK, path)
            self.assertEqual(r.buffer(), w.acked[path])
        self.assert_alive("after reads on a full disk")

        # Space returns: writes work again (the server retries its storage on its own).
        os.remove(filler)

        def one_write_succeeds():
            acked, _ = w.write_batch(1)
            self.assert_alive("after space returned")
            return acked == 1
        wait_for(one_write_succeeds, RECOVERY_TIMEOUT_S, "a write to succeed once space returned",
                 interval=0.2)
        for _ in range(20):
            acked, failed = w.write_batch(PIPELINE_DEPTH)
            self.assertEqual((acked, failed), (PIPELINE_DEPTH, 0),
                             f"writes fail after space returned: errors {w.errors}")
        kazoo.set(f"{ROOT}-kazoo", b"written after recovery")

        # Every acknowledged write survives a restart.
        self.assertEqual(integ_util.sanitizer_reports(srv), [])
        w.drop()
        srv.kill9()
        srv.start(wait=False)
        wait_serving(srv)
        with R.RawConnection(srv.port, timeout=30.0) as conn:
            conn.handshake()
            hdr, r = conn.call(R.OP_GET_CHILDREN, R.get_children_body(ROOT))
            self.assertEqual(hdr.err, R.OK)
            children = set(r.strings())
            missing = sorted(p for p in w.acked if p.rsplit("/", 1)[1] not in children)
            self.assertEqual(missing, [], "acknowledged writes lost across the restart")
            paths = sorted(w.acked)
            for start in range(0, len(paths), 256):
                part = paths[start:start + 256]
                for p in part:
                    conn.send_request(R.OP_GET_DATA, R.get_data_body(p))
                for p in part:
                    hdr, r = conn.read_reply()
                    self.assertEqual(hdr.err, R.OK, p)
                    self.assertEqual(r.buffer(), w.acked[p], p)
        wait_for(lambda: kazoo.state == KazooState.CONNECTED, 30, "kazoo to reconnect")
        self.assertEqual(kazoo.get(f"{ROOT}-kazoo")[0], b"written after recovery")
        self.assertNotIn(KazooState.LOST, kazoo_states, "the kazoo client lost its session")
        self.assertEqual(kazoo.client_id[0], kazoo_session)
        print(f"  disk full: {len(w.acked)} acknowledged writes all found after the restart "
              f"({len(w.acked) - acked_at_full} after the disk filled); errors {w.errors}, "
              f"connection losses {w.connection_losses}", file=sys.stderr)


def main():
    global ARGS
    ARGS, argv = integ_util.parse_args(__doc__.splitlines()[0])
    prog = unittest.main(module=__name__, argv=argv, verbosity=2, exit=False)
    result = prog.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped and len(result.skipped) == result.testsRun:
        sys.exit(SKIP_EXIT_CODE)  # ctest reports it as skipped (SKIP_RETURN_CODE)


if __name__ == "__main__":
    main()
