#!/usr/bin/python3
"""Locks and leader election on a 3-member Conclave ensemble next to a 3-member Apache ZooKeeper
3.8 ensemble, with the same recipes (recipes/, our C++ client) against both.

In one run, for each system in turn: start the ensemble on loopback (bench/ensemble.py, the
zoo.cfg lines compare_ensemble.py uses) and wait until every member serves, then measure:

  1. lock: recipe_load --workload lock, C contenders (one session each, spread evenly over the
     members) taking and releasing one lock for --duration-s after --warmup-s, for each C in
     --contenders: acquisitions per second, handover latency (the holder starting unlock() to
     the next holder's lock() returning) and the whole lock() call; two holders at once would
     be counted as violations;
  2. election handover: recipe_load --workload election, --participants leader latches; the
     leader resigns (close()) --rounds times, each time measured to the successor's gain;
  3. leader_demo processes (recipes/examples, the program the README shows): three run; the
     leader is stopped with SIGTERM (it gives leadership up: its LOST line to the next LEADER
     line is the graceful handover) or killed with SIGKILL (its session must expire first: the
     kill to the next LEADER line, bounded by the session timeout, --session-timeout-ms); a
     replacement is started each time, --kills of each.

Then the ensemble is stopped (always, also on failure or Ctrl-C) and a table printed with the
Conclave/ZooKeeper ratios. Nothing is built here:

    bench/compare_recipes.py --recipe-load build-bench/bench/recipe_load \\
        --leader-demo build-bench/recipes/leader_demo --binary build-bench/server/conclave-server

Exit status: 0 when every run completed without error or violation.
"""
import argparse
import os
import queue
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import compare_ensemble  # noqa: E402  (tunables, run_systems, git_state, start timeouts)
from compare_ensemble import fmt, table  # noqa: E402
from ensemble import Ensemble  # noqa: E402

SYSTEMS = ("conclave", "zookeeper")
RUN_SLACK_S = 180  # per recipe_load run beyond its measured time: sessions, set-up, close
LEADER_LINE_TIMEOUT_S = 60  # far beyond a session timeout: a handover that never comes
# (option, default, default with --quick, type, meaning); an option given explicitly wins.
TUNABLES = (
    ("--duration-s", 10.0, 1.0, float, "measured seconds per lock run"),
    ("--warmup-s", 2.0, 0.5, float, "unmeasured seconds before each lock run"),
    ("--contenders", "1,8,32", "1,4", str, "lock contenders per run, comma-separated"),
    ("--participants", 8, 3, int, "leader latches in the election run"),
    ("--rounds", 100, 10, int, "resignations in the election run"),
    ("--kills", 5, 1, int, "SIGTERMs and SIGKILLs of the leader_demo leader, each"),
    ("--session-timeout-ms", 4000, 4000, int,
     "leader_demo's session timeout (ZooKeeper's minimum is 2 x tickTime)"),
)


def run_recipe_load(args, ens, extra, expected_s):
    cmd = [args.recipe_load, "--hosts", ens.hosts(), "--spread-hosts", *extra]
    print(f"  {time.strftime('%H:%M:%S')} $ " + shlex.join(cmd), flush=True)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=expected_s + RUN_SLACK_S)
    except subprocess.TimeoutExpired:
        print("  recipe_load: timed out", flush=True)
        print(ens.describe(lines=15), flush=True)
        return None
    if p.stderr.strip():
        print("  " + p.stderr.strip().replace("\n", "\n  "), flush=True)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("workload=")]
    if not lines:
        print(f"  recipe_load: exit {p.returncode}, no result line", flush=True)
        return None
    print(f"  {lines[-1]}", flush=True)
    r = compare.parse_line(lines[-1])
    r["exit"] = str(p.returncode)
    return r


class Demo:
    """One leader_demo process; its stdout lines ("<unix ms> LEADER|LOST <name>") go to a
    shared queue as (name, event, unix_ms)."""

    def __init__(self, args, hosts, path, name, events):
        env = dict(os.environ, CONCLAVE_SESSION_TIMEOUT_MS=str(args.session_timeout_ms))
        self.name = name
        self.proc = subprocess.Popen([args.leader_demo, hosts, path, name], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._pump, args=(events,), daemon=True).start()

    def _pump(self, events):
        for line in self.proc.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[1] in ("LEADER", "LOST"):
                events.put((parts[2], parts[1], int(parts[0])))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def next_leader(events, not_name, since_ms, lost_of=None):
    """Waits for a LEADER line from someone other than `not_name` stamped at or after
    `since_ms`; returns (name, unix ms, LOST stamp of `lost_of` if seen)."""
    deadline = time.monotonic() + LEADER_LINE_TIMEOUT_S
    lost_ms = None
    while time.monotonic() < deadline:
        try:
            name, event, ms = events.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if event == "LOST" and name == lost_of:
            lost_ms = ms
        if event == "LEADER" and name != not_name and ms >= since_ms:
            return name, ms, lost_ms
    raise RuntimeError(f"no new leader within {LEADER_LINE_TIMEOUT_S} s")


def demo_handovers(args, ens):
    """SIGTERM and SIGKILL handovers among leader_demo processes. Returns
    {"term": [ms...], "kill": [ms...]}."""
    events = queue.Queue()
    path = "/conclave-bench-recipes/demo"
    demos = {}
    serial = 0

    def spawn():
        nonlocal serial
        serial += 1
        d = Demo(args, ens.hosts(), path, f"demo{serial}", events)
        demos[d.name] = d

    out = {"term": [], "kill": []}
    try:
        for _ in range(3):
            spawn()
        leader, _, _ = next_leader(events, None, 0)
        for how in ["term"] * args.kills + ["kill"] * args.kills:
            spawn()  # the replacement joins before the leader goes: always someone to follow
            victim = demos.pop(leader)
            t0_ms = time.time() * 1000
            victim.proc.send_signal(signal.SIGTERM if how == "term" else signal.SIGKILL)
            name, lead_ms, lost_ms = next_leader(events, leader, t0_ms,
                                                 lost_of=leader if how == "term" else None)
            victim.proc.wait(timeout=30)
            if how == "term":
                if lost_ms is None:
                    raise RuntimeError(f"{leader} exited on SIGTERM without a LOST line first")
                ms = lead_ms - lost_ms
            else:
                ms = lead_ms - t0_ms
            out[how].append(ms)
            print(f"  {how}: {leader} -> {name} in {ms:,.0f} ms", flush=True)
            leader = name
    finally:
        for d in demos.values():
            d.stop()
    return out


def bench_system(kind, args, base_dir):
    ens = Ensemble(kind, 3, base_dir, args.tick_ms, 10, 5, binary=args.binary)
    result = {"lock": {}, "election": None, "demo": None}
    print(f"== {kind}: 3 members under {ens.workdir}; load average {compare.loadavg()}",
          flush=True)
    try:
        ens.start()
        leader, followers = ens.wait_serving(compare_ensemble.START_TIMEOUT_S[kind],
                                             "every member serving")
        print(f"  serving: leader {leader}, followers {followers}", flush=True)
        for c in args.contender_counts:
            result["lock"][c] = run_recipe_load(
                args, ens, ["--workload", "lock", "--contenders", str(c),
                            "--duration-s", str(args.duration_s), "--warmup-s",
                            str(args.warmup_s)], args.duration_s + args.warmup_s)
            ens.check_alive()
        result["election"] = run_recipe_load(
            args, ens, ["--workload", "election", "--contenders", str(args.participants),
                        "--rounds", str(args.rounds)], args.rounds)
        ens.check_alive()
        if args.kills > 0:
            result["demo"] = demo_handovers(args, ens)
    except RuntimeError as e:
        print(f"  {kind} FAILED: {e}", flush=True)
        print(ens.describe(lines=15), flush=True)
        result["failure"] = str(e).splitlines()[0]
    finally:
        ens.cleanup(keep=args.keep_data)
    return result


def ratio(c, z):
    try:
        return f"{float(c) / float(z):.2f}"
    except (TypeError, ValueError, ZeroDivisionError):
        return "-"


def print_report(results, args, systems):
    c = results.get("conclave", {})
    z = results.get("zookeeper", {})
    print()
    print(f"3 members each, tickTime={args.tick_ms} forceSync=yes; recipes/ on our C++ client "
          f"against both; sessions spread evenly over the members")
    print()
    print(f"lock: {args.duration_s:g} s measured after {args.warmup_s:g} s; handover = holder "
          f"starts unlock() -> next holder's lock() returns (us)")
    rows = []
    for n in args.contender_counts:
        rc = (c.get("lock") or {}).get(n) or {}
        rz = (z.get("lock") or {}).get(n) or {}
        for key, label in (("acquisitions_per_s", "acq/s"), ("handover_p50_us", "handover p50"),
                           ("handover_p99_us", "handover p99"), ("acquire_p50_us", "lock() p50"),
                           ("acquire_p99_us", "lock() p99")):
            if n == 1 and key.startswith("handover"):
                continue  # one contender hands over to nobody
            rows.append([f"{n} contenders {label}", fmt(rc.get(key)), fmt(rz.get(key)),
                         ratio(rc.get(key), rz.get(key))])
        rows.append([f"{n} contenders violations/errors",
                     f"{rc.get('violations', '-')}/{rc.get('errors', '-')}",
                     f"{rz.get('violations', '-')}/{rz.get('errors', '-')}", ""])
    print(table(["", "conclave", "zookeeper", "c/zk"], rows))
    print()
    print(f"leader election: {args.participants} latches, the leader resigns {args.rounds} times "
          f"(close() -> successor's gain, us); leader_demo x3: SIGTERM (LOST line -> next "
          f"LEADER line) and SIGKILL (kill -> next LEADER, session {args.session_timeout_ms} ms),"
          f" {args.kills} each (ms)")
    ec, ez = c.get("election") or {}, z.get("election") or {}
    rows = [[f"resign handover {k}", fmt(ec.get(f"handover_{k}_us")),
             fmt(ez.get(f"handover_{k}_us")),
             ratio(ec.get(f"handover_{k}_us"), ez.get(f"handover_{k}_us"))]
            for k in ("p50", "p99", "max")]
    rows.append(["resign violations/errors", f"{ec.get('violations', '-')}/{ec.get('errors', '-')}",
                 f"{ez.get('violations', '-')}/{ez.get('errors', '-')}", ""])
    for how in ("term", "kill"):
        dc = (c.get("demo") or {}).get(how) or []
        dz = (z.get("demo") or {}).get(how) or []
        for agg, fn in (("median", statistics.median), ("max", max)):
            vc = fn(dc) if dc else None
            vz = fn(dz) if dz else None
            rows.append([f"SIG{how.upper()} handover {agg} (ms)", fmt(vc), fmt(vz),
                         ratio(vc, vz)])
    print(table(["", "conclave", "zookeeper", "c/zk"], rows))


def failed(results, args, systems):
    for s in systems:
        res = results.get(s, {})
        if res.get("failure"):
            return True
        runs = list((res.get("lock") or {}).values()) + [res.get("election")]
        if any(r is None or r.get("exit") != "0" for r in runs):
            return True
        demo = res.get("demo") or {}
        if args.kills and any(len(demo.get(h, [])) != args.kills for h in ("term", "kill")):
            return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True, help="path to conclave-server")
    ap.add_argument("--recipe-load", required=True, help="path to recipe_load")
    ap.add_argument("--leader-demo", required=True, help="path to leader_demo")
    ap.add_argument("--quick", action="store_true", help="smoke test: short runs, one kill")
    compare_ensemble.add_tunables(ap, TUNABLES)
    ap.add_argument("--tick-ms", type=int, default=2000, help="tickTime (ZooKeeper's sample)")
    ap.add_argument("--systems", default=",".join(SYSTEMS),
                    help="comma-separated, in run order, from " + ",".join(SYSTEMS))
    ap.add_argument("--dir", default=None, help="parent of the data directories")
    ap.add_argument("--keep-data", action="store_true", help="leave the data directories")
    args = ap.parse_args()
    compare_ensemble.apply_tunables(args, TUNABLES)
    args.contender_counts = [int(x) for x in args.contenders.split(",") if x]
    systems = [s for s in args.systems.split(",") if s]
    for s in systems:
        if s not in SYSTEMS:
            ap.error(f"unknown system {s}")
    for path in (args.binary, args.recipe_load, args.leader_demo):
        if not os.access(path, os.X_OK):
            ap.error(f"not executable: {path}")

    signal.signal(signal.SIGTERM, compare_ensemble.on_sigterm)
    base_dir = tempfile.mkdtemp(prefix="conclave-bench-recipes-", dir=args.dir)
    print(f"bench dir {base_dir}; {os.cpu_count()} cpus; load average {compare.loadavg()}")
    if "conclave" in systems:
        head, dirty = compare_ensemble.git_state()
        print(f"conclave binary {os.path.abspath(args.binary)}; repository HEAD {head}" +
              (f"; uncommitted outside bench/ and tests/: {' '.join(dirty)}" if dirty else ""))
    if "zookeeper" in systems:
        print(f"zookeeper {compare.zk_version()}, one JVM per member, Debian zkServer.sh flags")
    results = compare_ensemble.run_systems(bench_system, args, systems, base_dir)
    if results is None:
        return 1
    print_report(results, args, systems)
    return 1 if failed(results, args, systems) else 0


if __name__ == "__main__":
    sys.exit(main())
