"""Snapshots and purging on a real conclave-server: snapshots are taken every ~snapCount
transactions while clients keep writing, only autopurge.snapRetainCount of them are kept,
the log before the oldest kept snapshot is dropped, and a kill -9 restart recovers every
acknowledged write from the newest snapshot plus the log after it.

    /usr/bin/python3 snapshot_purge_test.py --server conclave --binary build/server/conclave-server
"""
import os
import re
import sys
import unittest

from integ_util import four_letter_word, make_server, parse_args, wait_for, wait_serving

from kazoo.client import KazooClient

ARGS = None
SNAP_COUNT = 100
RETAIN = 3
ROUNDS = 6
WRITES_PER_ROUND = 300  # more than snapCount: every round must lead to a snapshot
WRITES = ROUNDS * WRITES_PER_ROUND


def snapshot_files(srv):
    d = os.path.join(srv.data_dir, "snapshots")
    return sorted(f for f in os.listdir(d) if re.fullmatch(r"snapshot\.[0-9a-f]{16}", f))


def newest_snapshot_zxid(srv):
    files = snapshot_files(srv)
    return int(files[-1].split(".")[1], 16) if files else 0


class SnapshotPurgeTest(unittest.TestCase):
    def test_snapshots_rotate_and_recovery_uses_them(self):
        extra = [f"snapCount={SNAP_COUNT}", f"autopurge.snapRetainCount={RETAIN}"]
        with make_server(ARGS.server, binary=ARGS.binary, extra_cfg=extra, tick_ms=100) as srv:
            wait_serving(srv)
            zk = KazooClient(hosts=srv.hosts, timeout=10)
            zk.start()
            try:
                zk.create("/snap")
                for r in range(ROUNDS):
                    before = newest_snapshot_zxid(srv)
                    futures = [zk.create_async(f"/snap/n{i}", b"v%d" % i)
                               for i in range(r * WRITES_PER_ROUND, (r + 1) * WRITES_PER_ROUND)]
                    for f in futures:
                        f.get(timeout=30)  # every create acknowledged
                    # Snapshots are taken while writes go on, not only when they stop.
                    wait_for(lambda: newest_snapshot_zxid(srv) > before, 30,
                             f"a snapshot newer than {before:#x} after round {r}")
            finally:
                zk.stop()
                zk.close()

            # Several snapshots were taken; purging keeps exactly the newest RETAIN.
            wait_for(lambda: len(snapshot_files(srv)) == RETAIN, 30,
                     f"{RETAIN} snapshot files (have {snapshot_files(srv)})")
            newest = int(snapshot_files(srv)[-1].split(".")[1], 16)
            self.assertGreater(newest, WRITES - WRITES_PER_ROUND - SNAP_COUNT)

            srv.kill9()
            srv.start()
            wait_serving(srv)
            log = open(srv.log_path, errors="replace").read()
            recovered = re.findall(r"recovered the tree at zxid 0x([0-9a-f]+): snapshot 0x([0-9a-f]+) \+ (\d+) logged txns", log)
            self.assertTrue(recovered, "no recovery line in the log")
            last, snap, replayed = recovered[-1]
            self.assertGreater(int(snap, 16), 0, "recovery did not start from a snapshot")
            # At most the last round (after its snapshot) plus one snapshot interval is replayed.
            self.assertLessEqual(int(replayed), WRITES_PER_ROUND + SNAP_COUNT,
                                 "recovery replayed more log than needed")
            # The log was purged: its first entry is past the start.
            first = re.findall(r"txn log [^:]+: entries 0x([0-9a-f]+)\.\.0x([0-9a-f]+)", log)
            self.assertTrue(first)
            self.assertGreater(int(first[-1][0], 16), 1, "the log was never purged")

            zk = KazooClient(hosts=srv.hosts, timeout=10)
            zk.start()
            try:
                children = zk.get_children("/snap")
                self.assertEqual(len(children), WRITES)
                self.assertEqual(zk.get(f"/snap/n{WRITES - 1}")[0], b"v%d" % (WRITES - 1))
            finally:
                zk.stop()
                zk.close()
            self.assertIn("imok", four_letter_word(srv.port, "ruok"))


if __name__ == "__main__":
    ARGS, argv = parse_args(__doc__)
    if ARGS.server != "conclave":
        print("snapshot_purge_test: Conclave-only (it reads Conclave's data layout)")
        sys.exit(0)
    unittest.main(argv=argv)
