"""The semaphore recipe across many PROCESSES, against a 3-member Conclave ensemble or Apache
ZooKeeper 3.8 (--server), through recipes/examples/semaphore_demo.

Several `semaphore_demo HOSTS PATH N ROUNDS HOLD_MS` processes contend for N leases; each
prints "<t> IN" once it holds a lease and "<t> OUT" before it releases it, t on the machine's
monotonic clock (the same for every process and for this driver). Some are SIGKILLed while
holding and replaced; a killed holder's lease stays taken until its session expires. Checks:
  - never more than N of the printed intervals overlap (a killed holder's interval ends at
    the kill), and N do at some point (the leases are really shared out);
  - every survivor printed all its rounds and exited 0;
  - at the end no lease node is left: the killed holders' leases went with their sessions.

    /usr/bin/python3 multiprocess_semaphore_test.py --binary build/server/conclave-server \
        --semaphore-demo build/recipes/semaphore_demo --server conclave [-v]
"""
import argparse
import os
import random
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "harness"))

from kazoo.client import KazooClient  # noqa: E402

import multiprocess_test as mp  # noqa: E402  (Proc, Board and the timeouts)
from zkensemble import Ensemble, wait_for  # noqa: E402
from zkservers import make_server  # noqa: E402

ARGS = None
LEASES = 2
WORKERS = 4
ROUNDS = 20
HOLD_MS = 30
KILLS = 2


def monotonic_us():
    return time.monotonic_ns() // 1000


class MultiProcessSemaphoreTest(unittest.TestCase):
    def setUp(self):
        self.procs = []
        if ARGS.server == "conclave":
            self.ens = Ensemble(ARGS.binary, participants=3, extra_cfg=mp.SERVER_CFG)
            self.addCleanup(self._cleanup_ensemble)
            self.ens.start()
            self.ens.wait_stable(timeout=mp.PROGRESS_TIMEOUT_S)
            self.hosts = self.ens.hosts()
        else:
            self.srv = make_server("zookeeper", extra_cfg=mp.SERVER_CFG)
            self.addCleanup(self.srv.cleanup)
            self.srv.start()
            self.hosts = self.srv.hosts
        self.addCleanup(self._stop_procs)
        self.board = mp.Board()
        self.base = f"/recipes-mps-{os.getpid()}-{random.randrange(1 << 30)}"

    def _cleanup_ensemble(self):
        self.assertEqual(self.ens.cleanup(), {}, "sanitizer reports from members")

    def _stop_procs(self):
        for p in self.procs:
            if p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait()

    def spawn(self, argv, name):
        p = mp.Proc(argv, name, self.board)
        self.procs.append(p)
        return p

    def lease_nodes(self, path):
        zk = KazooClient(hosts=self.hosts, timeout=30)
        zk.start(timeout=60)
        try:
            zk.sync(path)
            return zk.get_children(path) if zk.exists(path) else []
        finally:
            zk.stop()
            zk.close()

    def test_semaphore_demo(self):
        sem_path = self.base + "/sem"
        argv = [ARGS.semaphore_demo, self.hosts, sem_path, str(LEASES), str(ROUNDS),
                str(HOLD_MS)]
        seq = iter(range(1_000_000))
        alive = [self.spawn(argv, f"s{next(seq)}") for _ in range(WORKERS)]
        killed_at = {}  # process name -> monotonic us of its kill
        for k in range(KILLS):
            progress = WORKERS * ROUNDS * 2 * (k + 1) // (KILLS + 2)
            self.board.wait(lambda: sum(len(p.lines) for p in self.procs) >= progress,
                            mp.PROGRESS_TIMEOUT_S, f"{progress} lines")

            def holding():
                return [p for p in alive if p.lines and p.lines[-1][1].endswith(" IN")]

            self.board.wait(lambda: holding(), mp.PROGRESS_TIMEOUT_S, "a holder to kill")
            with self.board.cond:
                victim = holding()[0]
            # Read before the kill: the process holds its lease at least until then.
            killed_at[victim.name] = monotonic_us()
            victim.kill9()
            alive.remove(victim)
            alive.append(self.spawn(argv, f"s{next(seq)}"))
        for p in alive:
            rc = p.finish(timeout=mp.PROGRESS_TIMEOUT_S * 5)
            self.assertEqual(rc, 0, f"{p.name} exited {rc}: {p.stderr}")
            self.assertEqual(len(p.lines), 2 * ROUNDS, f"{p.name} printed {len(p.lines)} lines")

        intervals = mp.hold_intervals(self, self.procs, "IN", "OUT",
                                      lambda p: killed_at.get(p.name))
        # Ends before starts at the same instant: an interval ending when another starts is
        # not an overlap.
        events = sorted([(s, 1, n) for s, _, n in intervals]
                        + [(e, -1, n) for _, e, n in intervals], key=lambda ev: (ev[0], ev[1]))
        holders, most = set(), 0
        for t, step, name in events:
            if step == 1:
                holders.add(name)
                self.assertLessEqual(len(holders), LEASES,
                                     f"at {t} us {sorted(holders)} all held a lease")
            else:
                holders.discard(name)
            most = max(most, len(holders))
        self.assertEqual(most, LEASES, "the leases were never all in use at once")
        # The killed holders' leases are freed by their sessions' expiry.
        wait_for(lambda: self.lease_nodes(sem_path + "/leases") == [], mp.PROGRESS_TIMEOUT_S,
                 "no lease node left", interval=0.2)
        print(f"semaphore_demo on {ARGS.server}: {len(self.procs)} processes "
              f"({len(killed_at)} SIGKILLed holding a lease), {len(intervals)} leases taken, "
              f"at most {most} of {LEASES} at once", flush=True)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, help="conclave-server")
    parser.add_argument("--semaphore-demo", required=True)
    parser.add_argument("--server", choices=["conclave", "zookeeper"], required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest])


if __name__ == "__main__":
    main()
