"""The lock and leader-election recipes across many PROCESSES, against a 3-member Conclave
ensemble or Apache ZooKeeper 3.8 (--server), through the example programs of recipes/examples.

lock_counter: several `lock_counter HOSTS LOCK COUNTER N` processes contend at once; some are
SIGKILLed along the way and replaced: every other kill the lock's holder, otherwise a waiter,
each found by its lock node's ephemeralOwner (lock_counter says its session on stderr). Their
sessions expire, their lock nodes vanish and the others go on (the longest waits between
increments, about one session timeout each, are printed). Two holders at once would both read the same value and write the same successor, so:
  - every printed value is unique, and each survivor printed exactly N lines and exited 0;
  - the final counter equals the number of `inc` lines, except that a process killed between
    its write and its print leaves one value unprinted: each unprinted value must be explained
    by a distinct killed process that was killed after the value before it was printed, and
    before the value after it was printed.

leader_demo: several `leader_demo HOSTS PATH NAME` processes; the leader is repeatedly
SIGKILLed (it never prints LOST; its leadership ends when it dies) or SIGTERMed (it prints
LOST, then leaves). Leadership intervals, from the printed timestamps (a SIGKILLed leader's
ends at the kill), must never overlap; after a SIGKILL the next LEADER comes no earlier than
the dead session could have expired (half the timeout after the kill: the client pings
every third of it, and a late ping on a loaded machine moves its last sign of life earlier)
and within the session timeout (plus slack for a loaded machine); after a
SIGTERM it comes at once (no session to wait for).

CI runs about 500 lock acquisitions per server (4 processes x 100, 3 killed and replaced) and
6 leader removals; --soak (CTest label soak) about 2,800 per server (6 x 400, 10 killed and
replaced) and 24 leader removals.

    /usr/bin/python3 multiprocess_test.py --binary build/server/conclave-server \
        --lock-counter build/recipes/lock_counter --leader-demo build/recipes/leader_demo \
        --server conclave [--soak] [-v] [MultiProcessTest.test_lock_counter]
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))

from kazoo.client import KazooClient  # noqa: E402

from zkensemble import Ensemble, wait_for  # noqa: E402
from zkservers import make_server  # noqa: E402

ARGS = None
# The examples' session timeout (CONCLAVE_SESSION_TIMEOUT_MS): short, so a killed process's
# lock node and leadership pass on quickly, yet long enough for a loaded 2-core machine.
SESSION_MS = 4000
SERVER_CFG = ["minSessionTimeout=1000", "maxSessionTimeout=30000"]
# Deadlines leave room for ASan on a loaded 2-core machine.
PROGRESS_TIMEOUT_S = 120
# How late after the session timeout a new leader may come (expiry check interval, watch
# delivery, scheduling).
TAKEOVER_SLACK_MS = 4000
# Timestamps come from two clocks read at slightly different moments (the driver's at the
# kill, the process's at its print); same machine, so only the reading order differs.
CLOCK_SLACK_MS = 50


def now_ms():
    return int(time.time() * 1000)


class Proc:
    """One example process; a thread collects its stdout lines as (driver ms, line)."""

    def __init__(self, argv, name, board):
        env = dict(os.environ, CONCLAVE_SESSION_TIMEOUT_MS=str(SESSION_MS))
        self.name = name
        self.board = board
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, text=True)
        self.lines = []
        self.stderr = ""
        self.session = None  # lock_counter says its session id on stderr
        self.killed_ms = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.err_reader = threading.Thread(target=self._read_err, daemon=True)
        self.err_reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.board.cond:
                self.lines.append((now_ms(), line.rstrip("\n")))
                self.board.cond.notify_all()
        self.proc.stdout.close()
        with self.board.cond:
            self.board.cond.notify_all()

    def _read_err(self):
        for line in self.proc.stderr:
            with self.board.cond:
                self.stderr += line
                if line.startswith("lock_counter: session "):
                    self.session = int(line.split()[-1], 16)
                    self.board.cond.notify_all()
        self.proc.stderr.close()

    def kill9(self):
        self.killed_ms = now_ms()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def finish(self, timeout):
        rc = self.proc.wait(timeout=timeout)
        self.reader.join(timeout)
        self.err_reader.join(timeout)
        return rc


class Board:
    """Where every process's output lands; waits are on its condition, with deadlines."""

    def __init__(self):
        self.cond = threading.Condition()

    def wait(self, predicate, timeout, what, describe=lambda: ""):
        with self.cond:
            if self.cond.wait_for(predicate, timeout):
                return
        raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{describe()}")


class MultiProcessTest(unittest.TestCase):
    def setUp(self):
        self.procs = []
        if ARGS.server == "conclave":
            self.ens = Ensemble(ARGS.binary, participants=3, extra_cfg=SERVER_CFG)
            self.addCleanup(self._cleanup_ensemble)
            self.ens.start()
            self.ens.wait_stable(timeout=PROGRESS_TIMEOUT_S)
            self.hosts = self.ens.hosts()
        else:
            self.srv = make_server("zookeeper", extra_cfg=SERVER_CFG)
            self.addCleanup(self.srv.cleanup)
            self.srv.start()
            self.hosts = self.srv.hosts
        self.addCleanup(self._stop_procs)
        self.board = Board()
        self.kz = None  # a client of the test's own, for count_children
        self.base = f"/recipes-mp-{os.getpid()}-{random.randrange(1 << 30)}"

    def _cleanup_ensemble(self):
        reports = self.ens.cleanup()
        self.assertEqual(reports, {}, "sanitizer reports from members")

    def _stop_procs(self):
        for p in self.procs:
            if p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait()

    def spawn(self, argv, name):
        p = Proc(argv, name, self.board)
        self.procs.append(p)
        return p

    def count_children(self, path):
        if self.kz is None:
            self.kz = KazooClient(hosts=self.hosts, timeout=30)
            self.kz.start(timeout=60)
            self.addCleanup(self.kz.close)
            self.addCleanup(self.kz.stop)
        self.kz.sync(path)
        return len(self.kz.get_children(path))

    def read_node(self, path):
        zk = KazooClient(hosts=self.hosts, timeout=30)
        zk.start(timeout=60)
        try:
            zk.sync(path)
            data, _ = zk.get(path)
            return data.decode()
        finally:
            zk.stop()
            zk.close()

    # ---- lock_counter ----

    def test_lock_counter(self):
        workers, per_proc, kills = (6, 400, 10) if ARGS.soak else (4, 100, 3)
        lock_path, counter_path = self.base + "/lock", self.base + "/counter"
        argv = [ARGS.lock_counter, self.hosts, lock_path, counter_path, str(per_proc)]
        seq = iter(range(1_000_000))
        alive = [self.spawn(argv, f"c{next(seq)}") for _ in range(workers)]
        rng = random.Random()
        killed = []
        expected = workers * per_proc
        for k in range(kills):
            # Spread the kills over the run; each kills the lock's holder (every other round)
            # or a waiter in the queue, found by its node's ephemeralOwner, then replaces it
            # so the contention stays.
            progress = expected * (k + 1) // (kills + 2)
            self.board.wait(lambda: sum(len(p.lines) for p in self.procs) >= progress,
                            PROGRESS_TIMEOUT_S, f"{progress} increments")
            victim = self.pick_victim(lock_path, alive, holder=k % 2 == 0, rng=rng)
            if victim is None:
                continue
            victim.kill9()
            killed.append(victim)
            alive.remove(victim)
            alive.append(self.spawn(argv, f"c{next(seq)}"))
        for p in alive:
            rc = p.finish(timeout=PROGRESS_TIMEOUT_S * 5)
            self.assertEqual(rc, 0, f"{p.name} exited {rc}: {p.stderr}")
            self.assertEqual(len(p.lines), per_proc, f"{p.name} printed {len(p.lines)} lines")

        values = {}  # value -> (process, driver ms)
        for p in self.procs:
            for t, line in p.lines:
                word, _, num = line.partition(" ")
                self.assertEqual(word, "inc", f"{p.name} printed {line!r}")
                v = int(num)
                if v in values:
                    self.fail(f"value {v} printed twice ({values[v][0]} and {p.name}): two "
                              f"holders at once")
                values[v] = (p.name, t)
        final = int(self.read_node(counter_path))
        unprinted = sorted(set(range(1, final + 1)) - set(values))
        self.assertEqual(set(values) - set(range(1, final + 1)), set(),
                         "printed values beyond the final counter")
        # Each unprinted value: a killed process wrote it and died before printing.
        explainers = list(killed)
        for v in unprinted:
            before = values[v - 1][1] if v - 1 in values else 0
            after = values[v + 1][1] if v + 1 in values else float("inf")
            match = next((k for k in explainers
                          if before - CLOCK_SLACK_MS <= k.killed_ms <= after + CLOCK_SLACK_MS),
                         None)
            self.assertIsNotNone(match, f"value {v} was written but never printed, and no "
                                        f"killed process explains it: a lost increment")
            explainers.remove(match)
        total = len(values)
        times = [values[v][1] for v in sorted(values)]
        gaps = sorted((b - a for a, b in zip(times, times[1:])), reverse=True)[:len(killed)]
        print(f"longest waits between increments (ms): {gaps}", flush=True)
        print(f"lock_counter on {ARGS.server}: {len(self.procs)} processes ({len(killed)} "
              f"SIGKILLed), {total} inc lines, final counter {final}, {len(unprinted)} "
              f"written by a process killed before it printed, 0 violations", flush=True)
        self.assertEqual(final, total + len(unprinted))

    def pick_victim(self, lock_path, alive, holder, rng):
        """The process owning the first lock node (holder) or a later one (a waiter); None if
        the queue holds no node of a live process that said its session."""
        by_session = {p.session: p for p in alive if p.session is not None}
        self.count_children(lock_path)  # makes self.kz
        nodes = sorted(self.kz.get_children(lock_path), key=lambda c: c[-10:])
        owners = []
        for i, c in enumerate(nodes):
            stat = self.kz.exists(f"{lock_path}/{c}")
            if stat is not None and stat.ephemeralOwner in by_session:
                owners.append((i, by_session[stat.ephemeralOwner]))
        if not owners:
            return None
        if holder:
            return owners[0][1]
        waiters = [p for i, p in owners if i > 0]
        return rng.choice(waiters) if waiters else owners[-1][1]

    # ---- leader_demo ----

    def leaders(self):
        """Per process, the last LEADER/LOST word it printed (under board.cond)."""
        return {p.name: p.lines[-1][1].split()[1] for p in self.procs if p.lines}

    def current_leader(self):
        leading = [p for p in self.procs
                   if p.proc.poll() is None and p.lines and p.lines[-1][1].split()[1] == "LEADER"]
        return leading[0] if len(leading) == 1 else None

    def test_leader_demo(self):
        participants, rounds = (5, 24) if ARGS.soak else (4, 6)
        election = self.base + "/election"
        seq = iter(range(1_000_000))

        def start_one():
            name = f"d{next(seq)}"
            return self.spawn([ARGS.leader_demo, self.hosts, election, name], name)

        for _ in range(participants):
            start_one()
        takeovers = []
        for r in range(rounds):
            self.board.wait(lambda: self.current_leader() is not None, PROGRESS_TIMEOUT_S,
                            "a leader", self.describe_election(election))
            with self.board.cond:
                leader = self.current_leader()
                lead_lines = {p.name: len(p.lines) for p in self.procs}
            how = "SIGKILL" if r % 3 != 2 else "SIGTERM"
            if how == "SIGKILL":
                leader.kill9()
                end_ms = leader.killed_ms
            else:
                leader.proc.send_signal(signal.SIGTERM)
                self.assertEqual(leader.finish(timeout=PROGRESS_TIMEOUT_S), 0, leader.stderr)
                self.assertEqual(leader.lines[-1][1].split()[1:], ["LOST", leader.name])
                end_ms = int(leader.lines[-1][1].split()[0])
            start_one()

            def new_leader():
                p = self.current_leader()
                return p if p is not None and len(p.lines) > lead_lines.get(p.name, 0) else None

            self.board.wait(lambda: new_leader() is not None, PROGRESS_TIMEOUT_S,
                            f"a new leader after the {how} of {leader.name}",
                            self.describe_election(election))
            with self.board.cond:
                successor = new_leader()
                started = int(successor.lines[-1][1].split()[0])
            delay = started - end_ms
            takeovers.append((how, delay))
            if how == "SIGKILL":
                self.assertGreaterEqual(delay, SESSION_MS // 2 - CLOCK_SLACK_MS,
                                        f"{successor.name} led {delay} ms after the kill of "
                                        f"{leader.name}: before its session could expire")
                self.assertLessEqual(delay, SESSION_MS + TAKEOVER_SLACK_MS,
                                     f"no new leader within the session timeout ({delay} ms)")
            else:
                self.assertGreaterEqual(delay, 0)
                self.assertLessEqual(delay, TAKEOVER_SLACK_MS,
                                     f"the successor of a leader that left took {delay} ms")

        # A process takes SIGTERM as "leave" only once it set up its signal handling, which it
        # does before it joins: wait until every live one has its node in the election.
        live = [p for p in self.procs if p.proc.poll() is None]
        wait_for(lambda: self.count_children(election) == len(live), PROGRESS_TIMEOUT_S,
                 f"{len(live)} participants in {election}", interval=0.2)
        for p in live:
            p.proc.send_signal(signal.SIGTERM)
        for p in self.procs:
            if p.killed_ms is None:
                self.assertEqual(p.finish(timeout=PROGRESS_TIMEOUT_S), 0,
                                 f"{p.name}: {p.stderr}")
        self.check_intervals()
        print(f"leader_demo on {ARGS.server}: {len(self.procs)} processes, "
              f"{len(takeovers)} leaders removed, takeover delays (ms): "
              + ", ".join(f"{how} {d}" for how, d in takeovers) + "; no overlap", flush=True)

    def describe_election(self, election):
        """For a failure message: what each process printed, and the election's nodes as the
        server (each member, for an ensemble) sees them."""
        def describe():
            parts = []
            for p in self.procs:
                state = "running" if p.proc.poll() is None else f"exited {p.proc.returncode}"
                parts.append(f"{p.name} ({state}, killed at {p.killed_ms}): "
                             f"{[line for _, line in p.lines]} {p.stderr[-500:]}")
            hosts = ([f"127.0.0.1:{m.client_port}" for m in self.ens.live()]
                     if ARGS.server == "conclave" else [self.hosts])
            for h in hosts:
                try:
                    zk = KazooClient(hosts=h, timeout=10)
                    zk.start(timeout=10)
                    kids = sorted(zk.get_children(election),
                                  key=lambda c: c[-10:])
                    owners = [f"{c}:{zk.get(election + '/' + c)[1].ephemeralOwner:#x}"
                              for c in kids]
                    parts.append(f"{h} sees {owners}")
                    zk.stop()
                    zk.close()
                except Exception as e:  # a diagnostic only
                    parts.append(f"{h}: {e!r}")
            if ARGS.server == "conclave":
                parts.append(self.ens.describe())
            return "\n".join(parts)
        return describe

    def check_intervals(self):
        for p in self.procs:
            for _, line in p.lines:
                self.assertEqual(line.split()[2], p.name)
        intervals = hold_intervals(self, self.procs, "LEADER", "LOST", lambda p: p.killed_ms)
        intervals.sort()
        for (s1, e1, n1), (s2, e2, n2) in zip(intervals, intervals[1:]):
            self.assertGreaterEqual(s2, e1, f"{n1} led {s1}..{e1} and {n2} from {s2}: "
                                            f"two leaders at once")


def hold_intervals(test, procs, gained, lost, killed_at):
    """(start, end, name) of every hold in the processes' lines "<time> <word> ...": `gained`
    opens a hold, `lost` closes it. A process killed while holding ends its last hold at
    killed_at(process); one that exited holding (killed_at None) fails the test."""
    intervals = []
    for p in procs:
        start = None
        for _, line in p.lines:
            t, word = line.split()[:2]
            if word == gained:
                test.assertIsNone(start, f"{p.name}: {gained} twice in a row")
                start = int(t)
            else:
                test.assertEqual(word, lost, line)
                test.assertIsNotNone(start, f"{p.name}: {lost} while not holding")
                intervals.append((start, int(t), p.name))
                start = None
        if start is not None:
            end = killed_at(p)
            test.assertIsNotNone(end, f"{p.name} exited holding, without {lost}")
            intervals.append((start, end, p.name))
    return intervals


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, help="conclave-server")
    parser.add_argument("--lock-counter", required=True)
    parser.add_argument("--leader-demo", required=True)
    parser.add_argument("--server", choices=["conclave", "zookeeper"], required=True)
    parser.add_argument("--soak", action="store_true", help="thousands of acquisitions")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest])


if __name__ == "__main__":
    main()
