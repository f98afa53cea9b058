"""Ensemble election, discovery and sync across real conclave-server processes on 127.0.0.1:
members agree on one leader and reach broadcast, a kill -9 of the leader elects another among
the rest, the old leader rejoins as a follower after its restart, observers observe, and a
member with no usable myid refuses to start. A member refuses client sessions until it is in
broadcast and accepts them from then on; the tests look at the four-letter words (srvr's Mode
in ZooKeeper's words, Conclave's `zabs` for the ZAB state behind it). What clients do through
the ensemble is replication_test.py's.

    /usr/bin/python3 election_test.py --binary build/server/conclave-server [-v]
"""
import argparse
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))

from zkensemble import NOT_SERVING, Ensemble, wait_for  # noqa: E402
from zkraw import ConnectionClosed, RawConnection  # noqa: E402

ARGS = None
# Elections take a few ticks; the deadlines leave room for a loaded 2-core machine and ASan.
STABLE_TIMEOUT_S = 60


def zabs_int(member, key):
    return int(member.zabs()[key])


class EnsembleElectionTest(unittest.TestCase):
    def assert_refuses_sessions(self, member):
        """The connect request is answered by closing the connection, as ZooKeeper does while
        its server is not running."""
        with self.assertRaises((ConnectionClosed, OSError)):
            with RawConnection(member.client_port) as c:
                c.handshake()

    def assert_accepts_sessions(self, member):
        with RawConnection(member.client_port) as c:
            resp = c.handshake()
            self.assertNotEqual(resp.session_id, 0, resp)
            self.assertGreater(resp.timeout_ms, 0, resp)

    def assert_epochs_settled(self, ens, view):
        """Everyone in the view accepted the leader's epoch (acceptedEpoch is written before
        LEADERINFO and ACKEPOCH leave) and made it current (currentEpoch is written before
        NEWLEADER is acknowledged)."""
        for sid in [view.leader, *view.followers, *view.observers]:
            state = ens.members[sid].zabs()
            self.assertEqual(int(state["epoch"]), view.epoch, state)
            self.assertEqual(int(state["accepted_epoch"]), view.epoch, state)
            self.assertEqual(int(state["current_epoch"]), view.epoch, state)

    def fail_over_and_rejoin(self, ens):
        """Kills the leader with SIGKILL, waits for a new leader among the rest, restarts the
        old one and waits until it follows the new leader. Returns the final view."""
        first = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
        self.assert_epochs_settled(ens, first)
        old = ens.members[first.leader]
        old.kill9()
        second = ens.wait_stable(STABLE_TIMEOUT_S, f"a new leader after killing {old.id}",
                                 check=lambda v: v.leader != old.id)
        self.assertGreater(second.epoch, first.epoch)
        self.assert_epochs_settled(ens, second)
        participants = [m.id for m in ens.members.values() if not m.observer]
        self.assertEqual(sorted([second.leader, *second.followers]),
                         sorted(i for i in participants if i != old.id))

        old.start()
        old.wait_listening()
        # Its epochs survived the kill -9 (they are read back from the log).
        self.assertGreaterEqual(zabs_int(old, "accepted_epoch"), first.epoch)
        self.assertGreaterEqual(zabs_int(old, "current_epoch"), first.epoch)
        third = ens.wait_stable(STABLE_TIMEOUT_S, f"{old.id} following after its restart",
                                check=lambda v: old.id in v.followers)
        # Joining an established leader does not start a new epoch.
        self.assertEqual((third.leader, third.epoch), (second.leader, second.epoch))
        self.assert_epochs_settled(ens, third)
        return third

    def test_three_members(self):
        with Ensemble(ARGS.binary, participants=3) as ens:
            # One member alone cannot elect: it stays LOOKING and does not serve.
            ens.start(ids=[1])
            lone = ens.members[1]
            state = lone.zabs()
            self.assertEqual((state["phase"], state["role"]), ("ELECTION", "LOOKING"), state)
            self.assertEqual(lone.word("srvr"), NOT_SERVING + "\n")
            self.assertEqual(lone.word("stat"), NOT_SERVING + "\n")
            self.assertEqual(lone.word("mntr"), NOT_SERVING + "\n")
            self.assertEqual(lone.word("isro"), "null")
            self.assertEqual(lone.word("ruok"), "imok")
            self.assertIn("Environment:", lone.word("envi"))
            self.assert_refuses_sessions(lone)

            ens.start(ids=[2, 3])
            view = ens.wait_stable(STABLE_TIMEOUT_S, "a leader among 3")
            leader = ens.members[view.leader]
            self.assertIn("zk_server_state\tleader", leader.word("mntr"))
            self.assertIn("Mode: leader", leader.word("stat"))
            for sid in view.followers:
                self.assertIn("zk_server_state\tfollower", ens.members[sid].word("mntr"))
            # In broadcast every member takes sessions (a follower creates them through the
            # leader).
            self.assert_accepts_sessions(leader)
            self.assert_accepts_sessions(ens.members[view.followers[0]])

            view = self.fail_over_and_rejoin(ens)

            # A leader that loses its quorum stops serving (the core's syncLimit on pings).
            for sid in view.followers:
                ens.members[sid].kill9()
            leader = ens.members[view.leader]
            wait_for(lambda: leader.zabs().get("phase") in ("ELECTION", "DISCOVERY"),
                     STABLE_TIMEOUT_S, "the leader without a quorum to stop leading")
            self.assertEqual(leader.word("srvr"), NOT_SERVING + "\n")

    def test_frozen_leader_is_replaced(self):
        """SIGSTOP keeps the leader's connections open: only the missing pings tell its
        followers, after syncLimit. Thawed, the old leader finds its term over and follows."""
        with Ensemble(ARGS.binary, participants=3) as ens:
            ens.start()
            first = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
            old = ens.members[first.leader]
            old.freeze()
            try:
                second = ens.wait_stable(STABLE_TIMEOUT_S, "a new leader while the old is frozen",
                                         check=lambda v: v.leader != old.id, exclude=[old.id])
            finally:
                old.thaw()
            third = ens.wait_stable(STABLE_TIMEOUT_S, f"{old.id} following after its thaw",
                                    check=lambda v: old.id in v.followers)
            self.assertEqual(third.leader, second.leader)
            self.assertGreater(third.epoch, first.epoch)

    def test_five_members(self):
        with Ensemble(ARGS.binary, participants=5) as ens:
            ens.start()
            view = self.fail_over_and_rejoin(ens)
            self.assertEqual(len(view.followers), 4)

    def test_observer(self):
        with Ensemble(ARGS.binary, participants=3, observers=1) as ens:
            ens.start()
            view = ens.wait_stable(STABLE_TIMEOUT_S, "a leader with an observer")
            self.assertEqual(view.observers, [4])
            self.assertNotEqual(view.leader, 4)  # an observer is never elected
            observer = ens.members[4]
            self.assertEqual(observer.zabs()["role"], "OBSERVING")
            self.assertIn("Mode: observer", observer.word("srvr"))
            self.assertIn("zk_server_state\tobserver", observer.word("mntr"))
            # The observer follows the leader the remaining voters elect.
            view = self.fail_over_and_rejoin(ens)
            self.assertEqual(view.observers, [4])

    def run_member_expecting_exit(self, ens, member):
        proc = subprocess.run([ARGS.binary, member.cfg_path], capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stderr

    def test_config_errors(self):
        with Ensemble(ARGS.binary, participants=3) as ens:
            member = ens.members[2]
            ens.write_config(member, myid=None)
            code, err = self.run_member_expecting_exit(ens, member)
            self.assertEqual(code, 2, err)
            self.assertIn("myid missing: an ensemble member needs its server id", err)

            ens.write_config(member, myid=7)
            code, err = self.run_member_expecting_exit(ens, member)
            self.assertEqual(code, 2, err)
            self.assertIn("myid says 7", err)
            self.assertIn("lists only servers 1, 2, 3", err)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True, help="path to conclave-server")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
