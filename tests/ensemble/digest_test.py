#!/usr/bin/python3
"""The leader compares each learner's tree digest (reported in its pings, at the zxid it has
applied) with its own at that zxid, and counts the comparisons and the mismatches in mntr
(zk_digest_checks_count, zk_digest_mismatches_count): after writes through every member of a
3+1 ensemble, comparisons happen and none differs.

    digest_test.py --binary build/server/conclave-server
"""
import argparse
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from kazoo.client import KazooClient  # noqa: E402
from zkensemble import Ensemble  # noqa: E402
from zkservers import four_letter_word  # noqa: E402

BINARY = None
DEADLINE_S = 30


def mntr(port):
    return dict(line.split("\t", 1) for line in four_letter_word(port, "mntr").splitlines()
                if "\t" in line)


class DigestTest(unittest.TestCase):
    def test_learners_digests_match_the_leaders(self):
        with Ensemble(BINARY, participants=3, observers=1) as ens:
            ens.start()
            view = ens.wait_stable()
            for sid, m in ens.members.items():
                zk = KazooClient(hosts=f"127.0.0.1:{m.client_port}", timeout=10)
                zk.start(timeout=15)
                for i in range(50):
                    zk.create(f"/m{sid}-{i}", b"x" * i, ephemeral=(i % 5 == 0))
                    zk.set(f"/m{sid}-{i}", b"y")
                zk.stop()
                zk.close()
            leader = ens.members[view.leader]
            checks_wanted = 2 * len(ens.members)
            deadline = time.monotonic() + DEADLINE_S
            while True:
                stats = mntr(leader.client_port)
                if int(stats["zk_digest_checks_count"]) >= checks_wanted:
                    break
                self.assertLess(time.monotonic(), deadline,
                                f"only {stats['zk_digest_checks_count']} digest comparisons")
                time.sleep(0.05)
            self.assertEqual(stats["zk_digest_mismatches_count"], "0")
            self.assertNotIn("DIVERGENCE", open(leader.log_path).read())


def main():
    global BINARY
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = args.binary
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
