"""Replication across real conclave-server processes on 127.0.0.1, through kazoo clients: what
an ensemble promises its clients while members are killed, restarted, frozen and left behind.

  - kill -9 of the leader under write load (3 and 5 members, three leaders in a row, each
    restarted): a new leader serves, the writers' sessions survive (same id, ephemerals kept),
    no acknowledged write is lost or duplicated;
  - a member restarted far behind (more entries than commitLogCount) catches up by SNAP, and a
    short absence by DIFF (no snapshot);
  - a leader's uncommitted tail (a write logged only by it) is truncated when it rejoins;
  - a rolling restart of every member under write load loses nothing;
  - an observer sees every commit, read after sync();
  - a leader cut off from its quorum stops serving, and the ensemble serves again after;
  - a network partition (zkpartition: proxies between members that hold traffic) leaves the
    leader in the minority: the minority stops serving, the majority elects a leader and goes
    on taking writes, and after healing everyone converges.

Every scenario ends by reading each member's whole tree (paths, data, every stat field)
through a client connected to that member only, after sync(): all members must be equal, and
hold every acknowledged write (zkload.check_writes). Waits poll against deadlines.

    /usr/bin/python3 replication_test.py --binary build/server/conclave-server [-v] [Test.test_x]
"""
import argparse
import os
import select
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))

import zkraw as R  # noqa: E402
from kazoo.client import KazooState  # noqa: E402
from kazoo.exceptions import ConnectionLoss  # noqa: E402

from zkensemble import Ensemble, wait_for  # noqa: E402
from zkload import (Writer, check_writes, make_client, read_tree,  # noqa: E402
                    tree_differences)
from zkpartition import PartitionedEnsemble  # noqa: E402

ARGS = None
# Deadlines leave room for a loaded 2-core machine and ASan.
STABLE_TIMEOUT_S = 90
PROGRESS_TIMEOUT_S = 90
# Sessions must outlive a failover (election, discovery, sync) with room to spare.
SESSION_TIMEOUT_S = 30
CFG = ("maxSessionTimeout=60000",)
WRITERS = 3
WRITES_BETWEEN_FAULTS = 40  # acknowledged by every writer before the next fault
KILL_ROUNDS = 3             # leaders killed in a row, each restarted before the next kill


def readable(conn):
    """Whether a reply is waiting on a raw connection (not waiting for one)."""
    return bool(conn.buf) or bool(select.select([conn.sock], [], [], 0)[0])


class ReplicationTest(unittest.TestCase):
    def setUp(self):
        self.writers = []
        self.clients = []

    def tearDown(self):
        for w in self.writers:
            w.stop_event.set()
        for w in self.writers:
            w.join(5)
            w.close()
        for c in self.clients:
            c.stop()
            c.close()

    # ---- helpers ----

    def client(self, ens, ids=None):
        c = make_client(ens.hosts(ids), SESSION_TIMEOUT_S)
        self.clients.append(c)
        return c

    def start_writers(self, ens, count=WRITERS):
        self.writers = [Writer(i, ens.hosts(), SESSION_TIMEOUT_S) for i in range(count)]
        for w in self.writers:
            w.start()

    def wait_progress(self, ens, what, writes=WRITES_BETWEEN_FAULTS):
        """Every writer gets `writes` more writes acknowledged."""
        marks = {w.index: w.acked_count() for w in self.writers}

        def done():
            failures = [f for w in self.writers for f in w.failures]
            if failures:
                raise AssertionError(f"writers failed ({what}): {failures}\n{ens.describe()}")
            return all(w.acked_count() >= marks[w.index] + writes for w in self.writers)

        try:
            wait_for(done, PROGRESS_TIMEOUT_S, f"{writes} more writes per writer ({what})")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{ens.describe()}") from None

    def finish_writers(self):
        """Stops the load; the sessions stay open (their ephemerals are checked on every
        member)."""
        failures = [f for w in self.writers for f in w.finish()]
        failures += [f for w in self.writers for f in w.session_failures()]
        self.assertEqual(failures, [])
        acked = sum(w.acked_count() for w in self.writers)
        unknown = sum(len(w.unknown) for w in self.writers)
        print(f"\n  {acked} writes acknowledged, {unknown} of unknown outcome", file=sys.stderr)

    def read_all(self, ens):
        """{member id: tree} for every running member; asserts they are all equal."""
        trees = {m.id: read_tree(m.client_port) for m in ens.live()}
        first_id = min(trees)
        for sid, tree in trees.items():
            diff = tree_differences(trees[first_id], tree)
            self.assertEqual(diff, [], f"member {first_id} and member {sid} differ")
        return trees

    def check_everything(self, ens):
        """All members equal; each holds every acknowledged write and each writer's ephemeral,
        owned by its session."""
        trees = self.read_all(ens)
        tree = next(iter(trees.values()))
        for w in self.writers:
            self.assertEqual(check_writes(tree, w), [], f"writer {w.index}")
            self.assertIn(w.ephemeral, tree)
            self.assertEqual(tree[w.ephemeral][1][8], w.session_id, f"{w.ephemeral}'s owner")
        return tree

    def following(self, ens, sid, what):
        return ens.wait_stable(STABLE_TIMEOUT_S, what,
                               check=lambda v: sid in v.followers or sid in v.observers)

    # ---- the scenarios ----

    def kill_leader_under_load(self, participants):
        with Ensemble(ARGS.binary, participants=participants, extra_cfg=CFG) as ens:
            ens.start()
            first = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
            self.start_writers(ens)
            self.wait_progress(ens, "before the first kill")
            view = first
            for _ in range(KILL_ROUNDS):
                old = ens.members[view.leader]
                old.kill9()
                second = ens.wait_stable(STABLE_TIMEOUT_S, f"a new leader after killing {old.id}",
                                         check=lambda v: v.leader != old.id)
                self.assertGreater(second.epoch, view.epoch)
                self.wait_progress(ens, f"after killing {old.id}, leader {second.leader}")

                old.start()
                view = self.following(ens, old.id, f"{old.id} following after its restart")
                self.wait_progress(ens, f"after {old.id} rejoined")
            self.finish_writers()
            self.check_everything(ens)

    def test_kill_leader_under_load_3(self):
        self.kill_leader_under_load(3)

    def test_kill_leader_under_load_5(self):
        self.kill_leader_under_load(5)

    def test_snap_catch_up(self):
        """commitLogCount=50: a follower 300 entries behind gets the leader's snapshot; one 10
        entries behind gets a DIFF."""
        with Ensemble(ARGS.binary, participants=3,
                      extra_cfg=CFG + ("commitLogCount=50",)) as ens:
            ens.start()
            view = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
            leader = ens.members[view.leader]
            behind = ens.members[view.followers[0]]
            c = self.client(ens, [view.leader, view.followers[1]])
            c.create("/snap", b"")

            def absent_while(count, kill):
                offset = behind.log_size()
                if kill:
                    behind.kill9()
                else:
                    behind.stop()
                results = [c.create_async(f"/snap/n{count}-{k}", f"{k}".encode())
                           for k in range(count)]
                for r in results:
                    r.get(timeout=60)
                behind.start()
                self.following(ens, behind.id, f"{behind.id} following after {count} writes")
                return behind.log_since(offset)

            log = absent_while(10, kill=False)
            self.assertNotIn("installed the leader's snapshot", log)
            self.assertIn("serving clients as follower", log)
            self.assertEqual(self.read_all(ens)[behind.id]["/snap"][1][10], 10)

            leader_offset = leader.log_size()
            log = absent_while(300, kill=True)
            self.assertIn("installed the leader's snapshot", log)
            self.assertIn(f"zab: sending learner {behind.id} a snapshot",
                          leader.log_since(leader_offset))
            trees = self.read_all(ens)
            self.assertEqual(trees[behind.id]["/snap"][1][10], 310)
            # It serves from the installed state and follows what commits next.
            c.create("/snap/after", b"x")
            b = self.client(ens, [behind.id])
            b.sync("/")
            self.assertEqual(b.get("/snap/after")[0], b"x")
            self.read_all(ens)

    def test_uncommitted_tail_is_truncated(self):
        """The leader logs a write its followers never receive (they are dead), then dies; the
        others go on without it; restarted, the old leader must drop that write (TRUNC).
        Killed, not frozen: a SIGSTOPped follower's kernel still takes the PROPOSAL into its
        socket buffer, the follower logs it when thawed, and the next leader rightly commits
        it (tried: every time), so there would be no uncommitted tail to truncate."""
        with Ensemble(ARGS.binary, participants=3, sync_limit=20, extra_cfg=CFG) as ens:
            ens.start()
            first = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
            old = ens.members[first.leader]
            c = self.client(ens)
            c.create("/t", b"")
            for k in range(20):
                c.create(f"/t/before-{k}", b"committed")
            on_leader = self.client(ens, [old.id])
            on_leader.sync("/")
            logged = int(old.zabs()["last_zxid"], 16)

            for sid in first.followers:
                ens.members[sid].kill9()
            pending = on_leader.create_async("/t/uncommitted", b"never acknowledged")
            wait_for(lambda: int(old.zabs()["last_zxid"], 16) > logged, 30,
                     "the leader to log the write its followers cannot see")
            self.assertFalse(pending.ready() and pending.successful(),
                             "a write acknowledged without a quorum")
            old.kill9()

            ens.start(first.followers)
            second = ens.wait_stable(STABLE_TIMEOUT_S, "a leader among the two others")
            self.assertNotEqual(second.leader, old.id)
            for k in range(20):
                c.create(f"/t/after-{k}", b"committed")

            offset = old.log_size()
            old.start()
            self.following(ens, old.id, f"{old.id} following after its restart")
            self.assertIn("truncated the log", old.log_since(offset))
            trees = self.read_all(ens)
            for sid, tree in trees.items():
                self.assertNotIn("/t/uncommitted", tree, f"member {sid}")
                self.assertIn("/t/after-19", tree, f"member {sid}")
                self.assertIn("/t/before-19", tree, f"member {sid}")

    def test_rolling_restart_under_load(self):
        with Ensemble(ARGS.binary, participants=3, extra_cfg=CFG) as ens:
            ens.start()
            view = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
            self.start_writers(ens)
            self.wait_progress(ens, "before the restarts")
            # Followers first, the leader last: each member once.
            for sid in [*view.followers, view.leader]:
                m = ens.members[sid]
                m.stop()
                ens.wait_stable(STABLE_TIMEOUT_S, f"serving without {sid}")
                self.wait_progress(ens, f"while {sid} is down")
                m.start()
                ens.wait_stable(STABLE_TIMEOUT_S, f"{sid} back",
                                check=lambda v, sid=sid: sid in [v.leader, *v.followers])
                self.wait_progress(ens, f"after {sid} restarted")
            self.finish_writers()
            self.check_everything(ens)

    def test_observer_sees_every_commit(self):
        with Ensemble(ARGS.binary, participants=3, observers=1, extra_cfg=CFG) as ens:
            ens.start()
            view = ens.wait_stable(STABLE_TIMEOUT_S, "a leader with an observer")
            self.assertEqual(view.observers, [4])
            writers = {sid: self.client(ens, [sid]) for sid in [view.leader, *view.followers]}
            on_observer = self.client(ens, [4])
            writers[view.leader].create("/obs", b"")
            for k in range(60):
                sid = [view.leader, *view.followers][k % 3]
                path = writers[sid].create(f"/obs/n-{sid}-", f"{k}".encode(), sequence=True)
                on_observer.sync("/")
                data, stat = on_observer.get(path)
                self.assertEqual(data, f"{k}".encode(), path)
            # Writes through the observer go to the leader and come back committed.
            for k in range(10):
                path = on_observer.create(f"/obs/from-observer-{k}", b"o")
                writers[view.leader].sync("/")
                self.assertEqual(writers[view.leader].get(path)[0], b"o")
            trees = self.read_all(ens)
            self.assertEqual(trees[4]["/obs"][1][10], 70)

    def test_leader_cut_off_stops_serving(self):
        """Both followers frozen (SIGSTOP: their sockets stay open, nothing answers): the leader
        loses its quorum after syncLimit, answers no write and drops its clients; thawed, the
        ensemble serves again and the old leader is back in it."""
        with Ensemble(ARGS.binary, participants=3, extra_cfg=CFG) as ens:
            ens.start()
            first = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
            leader = ens.members[first.leader]
            on_leader = self.client(ens, [first.leader])
            states = []
            on_leader.add_listener(states.append)
            session = on_leader.client_id[0]
            on_leader.create("/cut", b"")

            frozen = [ens.members[sid] for sid in first.followers]
            for m in frozen:
                m.freeze()
            try:
                write = on_leader.create_async("/cut/while-frozen", b"x")
                with self.assertRaises(ConnectionLoss):
                    write.get(timeout=60)
                wait_for(lambda: KazooState.SUSPENDED in states, 30, "the client to be dropped")
                wait_for(lambda: leader.zabs().get("phase") != "BROADCAST", 30,
                         "the leader to stop leading")
                self.assertIn("not currently serving", leader.word("srvr"))
                # It takes no session, so the client stays disconnected.
                self.assertFalse(on_leader.connected)
            finally:
                for m in frozen:
                    m.thaw()

            ens.wait_stable(STABLE_TIMEOUT_S, "all three serving again")
            wait_for(lambda: on_leader.connected, 60, "the client to reconnect")
            self.assertEqual(on_leader.client_id[0], session, "the session survived")
            self.assertNotIn(KazooState.LOST, states)
            on_leader.create("/cut/after", b"y")
            trees = self.read_all(ens)
            self.assertIn("/cut/after", next(iter(trees.values())))

    def minority_partition(self, participants):
        with PartitionedEnsemble(ARGS.binary, participants=participants, extra_cfg=CFG) as ens:
            ens.start()
            first = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
            minority = [first.leader, *first.followers[:(participants - 1) // 2 - 1]]
            majority = [sid for sid in ens.members if sid not in minority]
            on_old_leader = self.client(ens, [first.leader])
            states = []
            on_old_leader.add_listener(states.append)
            on_old_leader.create("/part", b"")
            self.start_writers(ens)
            self.wait_progress(ens, "before the partition")

            ens.partition(minority, majority)
            write = on_old_leader.create_async("/part/through-the-old-leader", b"x")
            with self.assertRaises(ConnectionLoss):
                write.get(timeout=60)
            second = ens.wait_stable(STABLE_TIMEOUT_S, f"a leader among {majority}",
                                     check=lambda v: v.leader in majority, exclude=minority)
            self.assertGreater(second.epoch, first.epoch)
            for sid in minority:
                m = ens.members[sid]
                wait_for(lambda m=m: m.zabs().get("phase") != "BROADCAST", 30,
                         f"{sid} in the minority to stop serving")
                self.assertIn("not currently serving", m.word("srvr"))
            self.assertFalse(on_old_leader.connected)
            # The writers that were on the minority moved to the majority, which takes writes.
            self.wait_progress(ens, "during the partition")

            ens.heal()
            ens.wait_stable(STABLE_TIMEOUT_S, "everyone together again after healing",
                            check=lambda v: len(v.followers) == participants - 1)
            wait_for(lambda: on_old_leader.connected, 60, "the old leader's client to reconnect")
            self.assertNotIn(KazooState.LOST, states)
            self.wait_progress(ens, "after healing")
            self.finish_writers()
            self.check_everything(ens)

    def test_minority_partition_3(self):
        self.minority_partition(3)

    def test_minority_partition_5(self):
        self.minority_partition(5)

    def test_reattached_session_gets_its_own_replies(self):
        """A client's write forwarded from its old connection commits after the session has
        re-attached elsewhere with a request of the same xid (kazoo restarts xids on every
        connection). The new member once answered the new request with the old write's result
        ("create /b" answered with path /a). Now it answers the re-attach only after the
        leader has heard of it (and drops later writes from the old connection) and every
        write the leader took before is applied there."""
        with PartitionedEnsemble(ARGS.binary, participants=3, sync_limit=100,
                                 extra_cfg=CFG) as ens:
            ens.start()
            view = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
            old_member, new_member = (ens.members[sid] for sid in view.followers)
            xid = 100
            with R.RawConnection(old_member.client_port, timeout=30) as old, \
                    R.RawConnection(new_member.client_port, timeout=30) as new:
                old.handshake(SESSION_TIMEOUT_S * 1000)
                hdr, _ = old.call(R.OP_SYNC, R.p_string("/"))
                self.assertEqual(hdr.err, R.OK)
                # The new member has applied the session and the zxid the client saw (else it
                # would refuse the re-attach for its own reasons).
                self.client(ens, [new_member.id]).sync("/")
                # Both followers stop hearing from the leader (for much less than syncLimit).
                ens.partition([view.leader], view.followers)
                old.send_request(R.OP_CREATE, R.create_body("/a"), xid=xid)
                new.send_raw(R.frame(R.connect_body(SESSION_TIMEOUT_S * 1000, old.session_id,
                                                    old.passwd, hdr.zxid)))
                ens.heal([view.leader], [old_member.id])
                reply, r = old.read_reply()
                self.assertEqual((reply.xid, reply.err, r.string()), (xid, R.OK, "/a"))
                # /a is committed; the new member has not heard of it, so it must not have
                # taken the session back yet.
                self.assertFalse(readable(new), "re-attach answered before the leader knew")
                ens.heal()
                resp = R.parse_connect_response(new.read_frame())
                self.assertEqual(resp.session_id, old.session_id)
                new.send_request(R.OP_CREATE, R.create_body("/b"), xid=xid)
                reply, r = new.read_reply()
                self.assertEqual((reply.xid, reply.err, r.string()), (xid, R.OK, "/b"))
                # A write sent on the old connection now is dropped by the leader.
                leader = ens.members[view.leader]
                offset = leader.log_size()
                old.send_request(R.OP_CREATE, R.create_body("/c"), xid=xid + 1)
                wait_for(lambda: "dropping a write of session" in leader.log_since(offset), 30,
                         "the leader to drop the old connection's write")
            trees = self.read_all(ens)
            tree = next(iter(trees.values()))
            self.assertIn("/a", tree)
            self.assertIn("/b", tree)
            self.assertNotIn("/c", tree)

    def test_silent_session_on_a_follower_expires(self):
        """A client that stops sending (hung, SIGSTOPped) but whose TCP connection stays open
        must lose its session after the timeout, as with ZooKeeper, where a learner reports to
        the leader only the sessions it heard from. Conclave's learners once reported every
        session with a connection, so such a session never expired (and held its locks)."""
        with Ensemble(ARGS.binary, participants=3, extra_cfg=CFG) as ens:
            ens.start()
            view = ens.wait_stable(STABLE_TIMEOUT_S, "the first leader")
            follower = ens.members[view.followers[0]]
            watcher = self.client(ens, [view.leader])
            with R.RawConnection(follower.client_port, timeout=30) as silent:
                silent.handshake(2000)
                hdr, _ = silent.call(R.OP_CREATE, R.create_body("/held", flags=R.EPHEMERAL))
                self.assertEqual(hdr.err, R.OK)
                watcher.sync("/")
                self.assertIsNotNone(watcher.exists("/held"))
                # From here on the client sends nothing; its socket stays open.
                wait_for(lambda: watcher.exists("/held") is None, PROGRESS_TIMEOUT_S,
                         f"the silent session ({silent.timeout_ms} ms) to expire")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True, help="path to conclave-server")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
