"""Apache Curator's recipes and ours on the SAME paths, against a 3-member Conclave ensemble or
Apache ZooKeeper 3.8 (--server): our Lock and LeaderLatch use Curator's node layout
(_c_<guid>-lock-<seq>, _c_<guid>-latch-<seq>), so processes of both kinds must queue together
and exclude each other.

The processes are recipes/examples' lock_counter and leader_demo and their Curator twins
(CuratorInterop.java: the same arguments and output), driven with multiprocess_test.py's
helpers (its MultiProcessTest, Proc and Board: same servers, same checks of the output).

test_shared_lock_counter: 2 Curator InterProcessMutex and 2 of our Lock processes increment one
counter under one lock path (N each, 320 acquisitions in all), unversioned writes that only the
lock protects. The driver holds the lock with a node of its own until all four queue behind it,
so they contend from the first acquisition (a Curator JVM starts seconds after a C++ process).
Two holders at once would both read the same value: every value must be printed exactly once,
1..total, the final counter must equal the total, and the holders must alternate between the
kinds (each release re-queues its process at the back, behind the others).

test_shared_leader_demo: Curator LeaderLatch and our leader_demo processes join one election
alternately (each joins before the next starts, so the queue alternates kinds); the leader is
removed 8 times and replaced by one of its kind at the back. Every hand-over is between the
kinds; leadership intervals (from the printed timestamps) must never overlap, a successor must
lead within TAKEOVER_SLACK_MS of its predecessor's LOST, and every process must exit 0. Twice
(once each kind) the leader is SIGKILLed instead: its successor of the other kind leads no
earlier than the dead session could expire and within the session timeout (as in
multiprocess_test.py).

    /usr/bin/python3 curator_interop_test.py --binary build/server/conclave-server \\
        --lock-counter build/recipes/lock_counter --leader-demo build/recipes/leader_demo \\
        --curator-classpath build/tests/recipes/curator/classes:/usr/share/java/curator-recipes.jar \\
        --server conclave [-v] [CuratorInteropTest.test_shared_lock_counter]
"""
import argparse
import os
import signal
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import multiprocess_test as mp  # noqa: E402

ARGS = None
LOCK_PROCS_PER_KIND = 2
LOCK_ACQUISITIONS_PER_PROC = 80
LEADER_PROCS_PER_KIND = 2
LEADER_ROUNDS = 8
# The leader of these rounds is SIGKILLed (a Curator one first, then ours: the leaders
# alternate kinds), of the others SIGTERMed.
SIGKILL_ROUNDS = (2, 5)
# Curator's JVMs: the client compiler only and a small serial heap start fastest and take the
# least CPU from the servers on a 2-core machine; Curator's log: warnings on stderr.
JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
             "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"]
CURATOR, OURS = "curator", "ours"


class CuratorInteropTest(mp.MultiProcessTest):
    # The base class's own tests run from multiprocess_test.py.
    test_lock_counter = None
    test_leader_demo = None

    def program(self, kind, mode, *args):
        if kind == CURATOR:
            return [ARGS.java, *JVM_FLAGS, "-cp", ARGS.curator_classpath, "CuratorInterop", mode,
                    *args]
        return [ARGS.lock_counter if mode == "lock_counter" else ARGS.leader_demo, *args]

    def spawn_kind(self, kind, argv, name):
        p = self.spawn(argv, name)
        p.kind = kind
        return p

    def wait_children(self, path, count, what):
        mp.wait_for(lambda: self.count_children(path) == count, mp.PROGRESS_TIMEOUT_S, what,
                    interval=0.1)

    # ---- the lock ----

    def test_shared_lock_counter(self):
        lock_path, counter_path = self.base + "/lock", self.base + "/counter"
        n = LOCK_ACQUISITIONS_PER_PROC
        # The driver's own contender node, first in the queue: a holder of the lock for both
        # kinds, until everyone queued behind it.
        gate = self.gate(lock_path)
        procs = []
        for i in range(LOCK_PROCS_PER_KIND):
            for kind in (CURATOR, OURS):
                name = f"{kind}{i}"
                argv = self.program(kind, "lock_counter", self.hosts, lock_path, counter_path,
                                    str(n))
                procs.append(self.spawn_kind(kind, argv, name))
        self.wait_children(lock_path, len(procs) + 1, f"{len(procs)} processes queued")
        self.assertEqual(sum(len(p.lines) for p in procs), 0, "a process passed the gate")
        self.kz.delete(gate)

        for p in procs:
            rc = p.finish(timeout=mp.PROGRESS_TIMEOUT_S * 2)
            self.assertEqual(rc, 0, f"{p.name} exited {rc}: {p.stderr[-2000:]}")
            self.assertEqual(len(p.lines), n, f"{p.name} printed {len(p.lines)} lines")
        holder = {}  # value -> process
        for p in procs:
            for _, line in p.lines:
                word, _, num = line.partition(" ")
                self.assertEqual(word, "inc", f"{p.name} printed {line!r}")
                v = int(num)
                self.assertNotIn(v, holder, f"value {v} printed by {holder.get(v, p).name} and "
                                            f"{p.name}: two holders at once")
                holder[v] = p
        total = len(procs) * n
        self.assertEqual(sorted(holder), list(range(1, total + 1)), "values printed")
        self.assertEqual(int(self.read_node(counter_path)), total, "the final counter")
        kinds = [holder[v].kind for v in range(1, total + 1)]
        switches = sum(a != b for a, b in zip(kinds, kinds[1:]))
        print(f"shared lock on {ARGS.server}: {total} acquisitions by {len(procs)} processes "
              f"({LOCK_PROCS_PER_KIND} Curator, {LOCK_PROCS_PER_KIND} ours), counter {total}, "
              f"{switches} hand-overs between the kinds, 0 violations", flush=True)
        self.assertGreaterEqual(switches, total // 4, "the kinds did not take turns")

    def gate(self, lock_path):
        self.kz_ready()
        return self.kz.create(f"{lock_path}/_c_{uuid.uuid4()}-lock-", ephemeral=True,
                              sequence=True, makepath=True)

    # ---- the election ----

    def test_shared_leader_demo(self):
        election = self.base + "/election"
        self.kz_ready()
        self.kz.ensure_path(election)
        seq = iter(range(1_000_000))

        def join(kind):
            """Starts a participant of `kind` and waits until it is in the queue, so the queue
            order is the start order."""
            name = f"{kind}{next(seq)}"
            p = self.spawn_kind(kind, self.program(kind, "leader_demo", self.hosts, election,
                                                   name), name)
            live = sum(1 for q in self.procs if q.proc.poll() is None)
            self.wait_children(election, live, f"{name} in the election")
            return p

        for _ in range(LEADER_PROCS_PER_KIND):
            join(CURATOR)
            join(OURS)
        handovers = []
        for r in range(LEADER_ROUNDS):
            self.board.wait(lambda: self.current_leader() is not None, mp.PROGRESS_TIMEOUT_S,
                            "a leader", self.describe_election(election))
            with self.board.cond:
                leader = self.current_leader()
                lead_lines = {p.name: len(p.lines) for p in self.procs}
            how = "SIGKILL" if r in SIGKILL_ROUNDS else "SIGTERM"
            if how == "SIGKILL":
                leader.kill9()
                end_ms = leader.killed_ms
            else:
                leader.proc.send_signal(signal.SIGTERM)
                self.assertEqual(leader.finish(timeout=mp.PROGRESS_TIMEOUT_S), 0,
                                 f"{leader.name}: {leader.stderr[-2000:]}")
                self.assertEqual(leader.lines[-1][1].split()[1:], ["LOST", leader.name])
                end_ms = int(leader.lines[-1][1].split()[0])

            def new_leader():
                p = self.current_leader()
                return p if p is not None and len(p.lines) > lead_lines.get(p.name, 0) else None

            self.board.wait(lambda: new_leader() is not None, mp.PROGRESS_TIMEOUT_S,
                            f"a new leader after the {how} of {leader.name}",
                            self.describe_election(election))
            with self.board.cond:
                successor = new_leader()
                delay = int(successor.lines[-1][1].split()[0]) - end_ms
            handovers.append((leader.kind, successor.kind, how, delay))
            if how == "SIGKILL":
                # Its node goes with its session: not before the session could expire.
                self.assertGreaterEqual(delay, mp.SESSION_MS // 2 - mp.CLOCK_SLACK_MS,
                                        f"{successor.name} led {delay} ms after the kill of "
                                        f"{leader.name}: before its session could expire")
                self.assertLessEqual(delay, mp.SESSION_MS + mp.TAKEOVER_SLACK_MS,
                                     f"no new leader within the session timeout ({delay} ms)")
            else:
                self.assertGreaterEqual(delay, 0)
                self.assertLessEqual(delay, mp.TAKEOVER_SLACK_MS,
                                     f"{successor.name} took {delay} ms to follow {leader.name}")
            join(leader.kind)  # at the back: the queue keeps alternating

        live = [p for p in self.procs if p.proc.poll() is None]
        self.wait_children(election, len(live), f"{len(live)} participants")
        for p in live:
            p.proc.send_signal(signal.SIGTERM)
        for p in live:
            self.assertEqual(p.finish(timeout=mp.PROGRESS_TIMEOUT_S), 0,
                             f"{p.name}: {p.stderr[-2000:]}")
        self.check_intervals()
        print(f"shared election on {ARGS.server}: {len(self.procs)} processes, hand-overs "
              + ", ".join(f"{a}->{b} ({how}) {d} ms" for a, b, how, d in handovers)
              + "; no overlap", flush=True)
        directions = {(a, b) for a, b, _, _ in handovers}
        self.assertIn((CURATOR, OURS), directions)
        self.assertIn((OURS, CURATOR), directions)

    def kz_ready(self):
        self.count_children("/")  # makes self.kz


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, help="conclave-server")
    parser.add_argument("--lock-counter", required=True)
    parser.add_argument("--leader-demo", required=True)
    parser.add_argument("--java", default="java")
    parser.add_argument("--curator-classpath", required=True,
                        help="CuratorInterop's classes and the Curator jars")
    parser.add_argument("--server", choices=["conclave", "zookeeper"], required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.soak = False
    mp.ARGS = ARGS  # the base class's setUp reads the server kind and binary there
    unittest.main(argv=[sys.argv[0], *rest])


if __name__ == "__main__":
    main()
