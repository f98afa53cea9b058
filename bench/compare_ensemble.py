#!/usr/bin/python3
"""A 3-member Conclave ensemble next to a 3-member Apache ZooKeeper 3.8 ensemble, same client.

In one run, for each system in turn: start the ensemble on loopback and wait until every member
serves (srvr), then measure with zk_load (the official C client):

  1. throughput with many outstanding requests: sessions spread evenly over the members
     (--spread-hosts), each keeping --outstanding requests in flight; writes (set, create) and
     reads (get), after an unmeasured set run (--prewarm-s) that warms ZooKeeper's JIT;
  2. latency with one outstanding request (one session, one request at a time), writes (set)
     and reads (get), with the client connected to a follower, then to the leader;
  3. failover: a probe session with every member in its host list writes continuously (one
     write at a time); kill -9 of the leader; the outage is from just before the kill to the
     completion of the first successful write submitted after the killed process was reaped.
     The killed member is restarted and the ensemble is back to all members serving before
     the next kill; repeated --failovers times.

Then stop it (always, also on failure or Ctrl-C) and print the tables with ratios. A zk_load
run still going STALL_AFTER_S after its measured window gets the members' `cons` (and, for
ZooKeeper, a thread dump) printed while it lasts; a run with errors gets their log tails.
Both systems get the same zoo.cfg lines (see ensemble.Ensemble). Nothing is built here.

    bench/compare_ensemble.py --binary build-bench2/server/conclave-server \\
                              --load build-bench2/bench/zk_load

Exit status: 0 when every run completed; with --strict also only when no run reported errors
and every failover recovered.
"""
import argparse
import os
import queue
import shlex
import shutil
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
from ensemble import Ensemble, zkservers  # noqa: E402

SYSTEMS = ("conclave", "zookeeper")
# create runs last: it leaves the tree ~10^5 znodes (and each snapshot ~100 MiB) larger, which
# would slow whatever ran after it on either system.
THROUGHPUT_WORKLOADS = ("set", "get", "create")
LATENCY_WORKLOADS = ("set", "get")
RUN_SLACK_S = 240  # per zk_load run, beyond warm-up + duration: set-up, drain, close
STALL_AFTER_S = 8  # a zk_load run this long past its measured window is reported as stuck
# ZooKeeper's JVMs start slowly on a busy 2-core machine; Conclave needs far less.
START_TIMEOUT_S = {"conclave": 60, "zookeeper": 180}
# After a kill, the probe reports recovery or gives up on its own after this long.
PROBE_TIMEOUT_S = 60
PROBE_READY_TIMEOUT_S = 60
PROBE_EXIT_TIMEOUT_S = 30
# (option, default, default with --quick, type, meaning); an option given explicitly wins.
TUNABLES = (
    ("--prewarm-s", 10.0, 0.0, float, "an unmeasured set run before the first measured one "
     "(the JVM compiles ZooKeeper's hot paths meanwhile; both systems get it)"),
    ("--duration-s", 10.0, 1.0, float, "measured seconds per throughput run"),
    ("--warmup-s", 2.0, 0.5, float, "unmeasured seconds before each throughput run"),
    ("--latency-duration-s", 5.0, 1.0, float, "measured seconds per latency run"),
    ("--latency-warmup-s", 1.0, 0.5, float, "unmeasured seconds before each latency run"),
    ("--sessions", 9, 3, int, "throughput sessions, spread evenly over the members"),
    ("--outstanding", 64, 8, int, "requests in flight per throughput session"),
    ("--value-bytes", 1024, 1024, int, "bytes per value"),
    ("--keys", 1000, 100, int, "znodes that set and get address"),
    ("--failovers", 5, 1, int, "kills of the leader"),
)


class Interrupted(Exception):
    pass


def on_sigterm(signum, frame):
    # Raising unwinds through every `finally`, so members and directories are cleaned up.
    raise Interrupted(f"signal {signum}")


def add_tunables(ap, tunables):
    """One option per (option, default, default with --quick, type, meaning); see
    apply_tunables()."""
    for name, normal, quick, kind, what in tunables:
        ap.add_argument(name, type=kind, default=None,
                        help=f"{what} (default {normal}, with --quick {quick})")


def apply_tunables(args, tunables):
    """Gives every tunable not on the command line its default (its --quick one with --quick)."""
    for name, normal, quick, _, _ in tunables:
        attr = name[2:].replace("-", "_")
        if getattr(args, attr) is None:
            setattr(args, attr, quick if args.quick else normal)


def run_systems(bench_system, args, systems, base_dir):
    """bench_system(kind, args, base_dir) for each system in turn: {kind: result}, or None when
    Ctrl-C or SIGTERM (see on_sigterm) stopped it. base_dir goes unless --keep-data."""
    results = {}
    try:
        for s in systems:
            results[s] = bench_system(s, args, base_dir)
    except (KeyboardInterrupt, Interrupted) as e:
        print(f"interrupted ({e or 'Ctrl-C'}); members stopped", flush=True)
        return None
    finally:
        if not args.keep_data:
            shutil.rmtree(base_dir, ignore_errors=True)
    return results


def git_state():
    """HEAD and whether the server's sources differ from it (the binary is built from the
    working tree, so uncommitted changes there are part of what is measured)."""
    def git(*a):
        try:
            return subprocess.run(["git", "-C", os.path.join(HERE, ".."), *a],
                                  capture_output=True, text=True).stdout
        except FileNotFoundError:  # no git on this machine (CI installs only what it needs)
            return ""
    head = git("log", "-1", "--format=%h %cd", "--date=iso").strip() or "unknown (no git)"
    # Porcelain lines are "XY path": two status letters and a space before the path.
    dirty = [line[3:] for line in git("status", "--porcelain").splitlines()
             if not line[3:].startswith(("bench/", "tests/"))]
    return head, dirty


def dump_members(ens, why):
    """What every member says about its connections (`cons`: per connection, requests queued
    and received, last operation), and for a ZooKeeper member a thread dump saved beside its log:
    the evidence for a stall, taken while it lasts."""
    print(f"  {why}; the members' state now:", flush=True)
    for m in ens.live():
        print(f"  --- {ens.kind} member {m.id} ({m.host}) cons:", flush=True)
        text = zkservers.four_letter_word(m.client_port, "cons", timeout=5)
        print("    " + (text.strip().replace("\n", "\n    ") or "(no answer)"), flush=True)
        if ens.kind == "zookeeper":
            path = os.path.join(m.workdir, f"jstack-{time.strftime('%H%M%S')}.txt")
            try:
                with open(path, "w") as f:
                    subprocess.run(["jstack", str(m.pid)], stdout=f, stderr=subprocess.STDOUT,
                                   timeout=60)
                print(f"    thread dump: {path} (kept with --keep-data)", flush=True)
            except (OSError, subprocess.TimeoutExpired) as e:
                print(f"    no thread dump: {e}", flush=True)


def run_load(args, hosts, workload, sessions, outstanding, duration_s, warmup_s, spread,
             ens=None):
    cmd = [args.load, "--hosts", hosts, "--workload", workload,
           "--sessions", str(sessions), "--outstanding", str(outstanding),
           "--value-bytes", str(args.value_bytes), "--keys", str(args.keys),
           "--duration-s", str(duration_s), "--warmup-s", str(warmup_s),
           "--root", "/conclave-bench"]
    if spread:
        cmd.append("--spread-hosts")
    print(f"  {time.strftime('%H:%M:%S')} $ " + shlex.join(cmd), flush=True)
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        try:
            # A run that outlives its measured window by STALL_AFTER_S is stuck on something:
            # record what the members say while it is, then keep waiting to the hard limit.
            try:
                proc.wait(timeout=warmup_s + duration_s + STALL_AFTER_S)
            except subprocess.TimeoutExpired:
                if ens is not None:
                    dump_members(ens, f"zk_load {workload} still running "
                                      f"{time.monotonic() - started:.0f} s after its start")
                try:
                    proc.wait(timeout=RUN_SLACK_S)
                except subprocess.TimeoutExpired:
                    print(f"  zk_load {workload}: timed out", flush=True)
                    return None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        elapsed_s = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        p = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    if p.stderr.strip():
        print("  " + p.stderr.strip().replace("\n", "\n  "), flush=True)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("workload=")]
    if not lines:
        print(f"  zk_load {workload}: exit {p.returncode}, no result line", flush=True)
        return None
    print(f"  {lines[-1]} (run took {elapsed_s:.1f} s)", flush=True)
    return compare.parse_line(lines[-1])


def members_cpu_s(pids):
    """CPU seconds the members have used, or None when one has gone (and been reaped)."""
    try:
        return sum(compare.proc_cpu_s(p) for p in pids)
    except OSError:
        return None


def measured(ens, fn):
    """Runs fn() and adds the CPU seconds of the members, of zk_load, and of everything else on
    the machine (the noise) to its result. A run that failed or reported errors is followed by
    the members' log tails, the evidence to report."""
    pids = [m.pid for m in ens.live()]
    cpu0 = members_cpu_s(pids)
    load0, busy0 = compare.children_cpu_s(), compare.machine_busy_s()
    r = fn()
    cpu1 = members_cpu_s(pids)
    if r is not None and cpu0 is not None and cpu1 is not None:
        server_s = cpu1 - cpu0
        load_s = compare.children_cpu_s() - load0
        r["server_cpu_s"] = f"{server_s:.2f}"
        r["load_cpu_s"] = f"{load_s:.2f}"
        other = compare.machine_busy_s() - busy0 - server_s - load_s
        r["other_cpu_s"] = f"{max(0.0, other):.2f}"
    if r is None or r.get("errors") != "0":
        print(ens.describe(lines=15), flush=True)
    return r


class Probe:
    """zk_load --workload probe, fed kills on stdin; its stdout lines arrive on a queue so
    that every wait has a deadline."""

    def __init__(self, args, hosts, life_s):
        self.cmd = [args.load, "--hosts", hosts, "--workload", "probe",
                    "--value-bytes", str(args.value_bytes), "--duration-s", str(life_s),
                    "--probe-timeout-ms", str(PROBE_TIMEOUT_S * 1000),
                    "--root", "/conclave-bench"]
        print("  $ " + shlex.join(self.cmd), flush=True)
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append),
                         daemon=True).start()

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink(line.rstrip("\n"))
        sink(None)

    def expect(self, prefix, timeout_s):
        """The next stdout line starting with `prefix`; None on EOF or at the deadline."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            if line.startswith(prefix):
                return line
            print(f"  probe: {line}", flush=True)

    def announce_kill(self, before_ns, reaped_ns):
        self.proc.stdin.write(f"kill {before_ns} {reaped_ns}\n")
        self.proc.stdin.flush()

    def finish(self):
        """Ends its input; returns its summary line (parsed) or None."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        line = self.expect("workload=probe", PROBE_EXIT_TIMEOUT_S)
        try:
            self.proc.wait(timeout=PROBE_EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        return compare.parse_line(line) if line else None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def failovers(args, ens, result):
    """The kill -9 loop; appends one dict per kill to result['failovers']."""
    n = len(ens.members)
    # Long enough for every kill, restart and rejoin; the probe's own watchdog bounds it too.
    life_s = args.failovers * (PROBE_TIMEOUT_S + 2 * START_TIMEOUT_S[ens.kind]) + 60
    probe = Probe(args, ens.hosts(), life_s)
    try:
        ready = probe.expect("probe ready", PROBE_READY_TIMEOUT_S)
        if ready is None:
            raise RuntimeError(f"failover probe never wrote: {' '.join(probe.stderr[-5:])}")
        print(f"  {ready}", flush=True)
        for rep in range(1, args.failovers + 1):
            leader, _ = ens.wait_serving(START_TIMEOUT_S[ens.kind], "every member serving")
            victim = ens.members[leader]
            before_ns, reaped_ns = victim.kill9()
            probe.announce_kill(before_ns, reaped_ns)
            line = probe.expect("failover", PROBE_TIMEOUT_S + 10)
            r = compare.parse_line(line) if line else {"recovered": "0", "no_answer": "1"}
            r["killed"] = str(leader)
            new_view = None
            if r.get("recovered") == "1":
                new_view = ens.wait_serving(START_TIMEOUT_S[ens.kind],
                                            f"a new leader after killing {leader}")
                r["new_leader"] = str(new_view[0])
            for key in ("server_before", "server_after"):
                m = ens.member_by_host(r.get(key, ""))
                r[key + "_id"] = "-" if m is None else str(m.id)
            print(f"  failover {rep}: killed leader {leader}; {line or 'no answer from probe'}"
                  f"{'' if new_view is None else f'; new leader {new_view[0]}'}", flush=True)
            result["failovers"].append(r)
            if r.get("recovered") != "1":
                print(ens.describe(), flush=True)
                break
            victim.start()
            ens.wait_serving(START_TIMEOUT_S[ens.kind],
                             f"member {leader} back after its kill ({n} serving)")
        summary = probe.finish()
        if summary:
            print("  " + " ".join(f"{k}={v}" for k, v in summary.items()), flush=True)
        result["probe"] = summary
    finally:
        probe.kill()
        # The C client logs every refused connection while a member is not serving; the last
        # few lines are enough to see what it ran into.
        errs = [s for s in probe.stderr if s]
        if errs:
            print(f"  probe stderr: {len(errs)} lines, the last: " + " | ".join(errs[-3:]),
                  flush=True)


def bench_system(kind, args, base_dir):
    ens = Ensemble(kind, args.members, base_dir, args.tick_ms, args.init_limit, args.sync_limit,
                   binary=args.binary)
    result = {"throughput": {}, "latency": {}, "failovers": [], "load_before": compare.loadavg()}
    print(f"== {kind}: {args.members} members under {ens.workdir}; load average "
          f"{result['load_before']}", flush=True)
    print("  " + shlex.join(ens.members[1].command()), flush=True)
    ok = False
    try:
        t0 = time.monotonic()
        ens.start()
        leader, followers = ens.wait_serving(START_TIMEOUT_S[kind], "every member serving")
        result["start_s"] = time.monotonic() - t0
        print(f"  serving after {result['start_s']:.1f} s: leader {leader}, followers "
              f"{followers}", flush=True)

        if args.prewarm_s > 0:
            print(f"  pre-warm run ({args.prewarm_s:g} s, not measured):", flush=True)
            run_load(args, ens.hosts(), "set", args.sessions, args.outstanding, args.prewarm_s,
                     0, spread=True, ens=ens)
            ens.check_alive()
        for w in args.throughput_workloads:
            r = measured(ens, lambda w=w: run_load(args, ens.hosts(), w, args.sessions,
                                                   args.outstanding, args.duration_s,
                                                   args.warmup_s, spread=True, ens=ens))
            result["throughput"][w] = r
            ens.check_alive()

        leader, followers = ens.wait_serving(START_TIMEOUT_S[kind], "every member serving")
        for role, sid in (("follower", followers[0]), ("leader", leader)):
            for w in args.latency_workloads:
                r = measured(ens, lambda w=w, sid=sid: run_load(
                    args, ens.members[sid].host, w, 1, 1, args.latency_duration_s,
                    args.latency_warmup_s, spread=False, ens=ens))
                if r is not None:
                    r["member"] = str(sid)
                result["latency"][(w, role)] = r
                ens.check_alive()

        if args.failovers > 0:
            failovers(args, ens, result)
        result["load_after"] = compare.loadavg()
        ok = True
    except RuntimeError as e:
        print(f"  {kind} FAILED: {e}", flush=True)
        result["failure"] = str(e).splitlines()[0]
    finally:
        if not ok and "failure" not in result:
            print(ens.describe(), flush=True)
        ens.cleanup(keep=args.keep_data)
        if args.keep_data:
            print(f"  kept {ens.workdir}", flush=True)
    return result


def fmt(v, digits=0):
    try:
        return f"{float(v):,.{digits}f}"
    except (TypeError, ValueError):
        return "-"


def table(headers, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    out = ["  ".join(h.rjust(widths[i]) if i else h.ljust(widths[i])
                     for i, h in enumerate(headers))]
    for r in rows:
        out.append("  ".join(v.rjust(widths[i]) if i else v.ljust(widths[i])
                             for i, v in enumerate(r)))
    return "\n".join(out)


def outages(res):
    return [float(f["outage_ms"]) for f in res.get("failovers", [])
            if f.get("recovered") == "1"]


def print_report(results, args, systems):
    c = results.get("conclave", {})
    z = results.get("zookeeper", {})
    print()
    print(f"{args.members} members each; zoo.cfg for both: tickTime={args.tick_ms} "
          f"initLimit={args.init_limit} syncLimit={args.sync_limit} forceSync=yes "
          f"snapCount=100000; value_bytes={args.value_bytes} keys={args.keys}")

    print()
    print(f"throughput: {args.sessions} sessions spread evenly over the members, "
          f"{args.outstanding} outstanding each, {args.duration_s:g} s measured after "
          f"{args.warmup_s:g} s warm-up; before the first, {args.prewarm_s:g} s of set, "
          f"unmeasured")
    rows = []
    for w in args.throughput_workloads:
        cw = (c.get("throughput") or {}).get(w) or {}
        zw = (z.get("throughput") or {}).get(w) or {}
        rows.append([w, fmt(cw.get("ops_per_s")), fmt(zw.get("ops_per_s")),
                     compare.ratio(cw.get("ops_per_s"), zw.get("ops_per_s")),
                     fmt(cw.get("p50_us")), fmt(cw.get("p99_us")),
                     fmt(zw.get("p50_us")), fmt(zw.get("p99_us")),
                     f"{cw.get('server_cpu_s', '-')}/{zw.get('server_cpu_s', '-')}",
                     f"{cw.get('load_cpu_s', '-')}/{zw.get('load_cpu_s', '-')}",
                     f"{cw.get('other_cpu_s', '-')}/{zw.get('other_cpu_s', '-')}",
                     f"{cw.get('errors', '-')}/{zw.get('errors', '-')}"])
    print(table(["workload", "conclave ops/s", "zk ops/s", "ratio c/zk", "c p50 us", "c p99 us",
                 "zk p50 us", "zk p99 us", "members cpu s c/zk", "client cpu s c/zk",
                 "other cpu s c/zk", "errors c/zk"], rows))

    print()
    print(f"latency: 1 session, 1 outstanding request, {args.latency_duration_s:g} s measured "
          f"after {args.latency_warmup_s:g} s warm-up, client connected to one member")
    rows = []
    for w in args.latency_workloads:
        for role in ("follower", "leader"):
            cw = (c.get("latency") or {}).get((w, role)) or {}
            zw = (z.get("latency") or {}).get((w, role)) or {}
            rows.append([f"{w} via {role}",
                         f"{cw.get('member', '-')}/{zw.get('member', '-')}",
                         fmt(cw.get("p50_us")), fmt(cw.get("p99_us")),
                         fmt(zw.get("p50_us")), fmt(zw.get("p99_us")),
                         compare.ratio(cw.get("p50_us"), zw.get("p50_us")),
                         compare.ratio(cw.get("p99_us"), zw.get("p99_us")),
                         fmt(cw.get("ops_per_s")), fmt(zw.get("ops_per_s")),
                         f"{cw.get('errors', '-')}/{zw.get('errors', '-')}"])
    print(table(["op via member", "member c/zk", "c p50 us", "c p99 us", "zk p50 us",
                 "zk p99 us", "p50 c/zk", "p99 c/zk", "c ops/s", "zk ops/s", "errors c/zk"],
                rows))

    print()
    print("failover: kill -9 of the leader while a probe session (all members in its host list, "
          "1 write at a time) writes; outage = kill -> completion of the first successful write "
          "submitted after the reap")
    rows = []
    for name in systems:
        res = results.get(name, {})
        for i, f in enumerate(res.get("failovers", []), 1):
            rows.append([f"{name} #{i}", f.get("killed", "-"), f.get("new_leader", "-"),
                         fmt(f.get("outage_ms"), 1) if f.get("recovered") == "1" else "FAILED",
                         fmt(f.get("first_ok_submit_ms"), 1), f.get("failed_writes", "-"),
                         f.get("last_error", "-"),
                         f"{f.get('server_before_id', '-')}->{f.get('server_after_id', '-')}"])
    if rows:
        print(table(["kill", "killed", "new leader", "outage ms", "ok write sent at ms",
                     "failed writes", "last error", "probe on member"], rows))
    for name in systems:
        o = outages(results.get(name, {}))
        n = len(results.get(name, {}).get("failovers", []))
        if o:
            print(f"{name:9} outage ms: median {statistics.median(o):,.1f}  max {max(o):,.1f}  "
                  f"min {min(o):,.1f}  ({len(o)} of {n} recovered)")
        elif name in results:
            print(f"{name:9} outage ms: none recovered ({n} kills)")
    oc, oz = outages(c), outages(z)
    if oc and oz:
        print(f"ratio c/zk: median {statistics.median(oc) / statistics.median(oz):.2f}  "
              f"max {max(oc) / max(oz):.2f}")

    print()
    for name in systems:
        res = results.get(name, {})
        start = res.get("start_s")
        print(f"{name:9} ensemble serving {fmt(start, 1)} s after start; load average before "
              f"{res.get('load_before', '-')}, after {res.get('load_after', '-')}"
              + (f"; FAILED: {res['failure']}" if res.get("failure") else ""))
    if c and z:
        print()
        print("against the aim of issue 4 (write throughput >= ZooKeeper's, failover faster):")
        for w in ("create", "set"):
            cw = (c.get("throughput") or {}).get(w) or {}
            zw = (z.get("throughput") or {}).get(w) or {}
            r = compare.ratio(cw.get("ops_per_s"), zw.get("ops_per_s"))
            if r != "-":
                print(f"  {w} throughput c/zk {r}: {'met' if float(r) >= 1 else 'NOT met'}")
        if oc and oz:
            met = statistics.median(oc) < statistics.median(oz) and max(oc) < max(oz)
            print(f"  failover median {statistics.median(oc):,.1f} vs {statistics.median(oz):,.1f}"
                  f" ms, max {max(oc):,.1f} vs {max(oz):,.1f} ms: {'met' if met else 'NOT met'}")


def failed(results, args, systems):
    bad = False
    for s in systems:
        res = results.get(s, {})
        if res.get("failure"):
            bad = True
        runs = list((res.get("throughput") or {}).values()) + list(
            (res.get("latency") or {}).values())
        if any(r is None for r in runs):
            bad = True
        if args.strict:
            if any(r is not None and (r.get("errors") != "0" or r.get("ops") in (None, "0"))
                   for r in runs):
                bad = True
            fo = res.get("failovers", [])
            if len(fo) != args.failovers or any(f.get("recovered") != "1" for f in fo):
                bad = True
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True, help="path to conclave-server")
    ap.add_argument("--load", required=True, help="path to zk_load")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 1 s runs, light load, one failover (see the defaults)")
    ap.add_argument("--members", type=int, default=3)
    add_tunables(ap, TUNABLES)
    ap.add_argument("--tick-ms", type=int, default=2000, help="tickTime (ZooKeeper's sample)")
    ap.add_argument("--init-limit", type=int, default=10)
    ap.add_argument("--sync-limit", type=int, default=5)
    ap.add_argument("--systems", default=",".join(SYSTEMS),
                    help="comma-separated, in run order, from " + ",".join(SYSTEMS))
    ap.add_argument("--dir", default=None, help="parent of the data directories")
    ap.add_argument("--keep-data", action="store_true", help="leave the data directories")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 if any run reported errors or a failover did not recover")
    args = ap.parse_args()
    apply_tunables(args, TUNABLES)
    args.throughput_workloads = THROUGHPUT_WORKLOADS
    args.latency_workloads = LATENCY_WORKLOADS
    systems = [s for s in args.systems.split(",") if s]
    for s in systems:
        if s not in SYSTEMS:
            ap.error(f"unknown system {s}")
    if args.members < 3:
        ap.error("--members must be at least 3 (a follower to connect to after a kill)")
    for path in (args.binary, args.load):
        if not os.access(path, os.X_OK):
            ap.error(f"not executable: {path}")

    signal.signal(signal.SIGTERM, on_sigterm)
    base_dir = tempfile.mkdtemp(prefix="conclave-bench-ens-", dir=args.dir)
    fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE,SOURCE", "-T", base_dir],
                        capture_output=True, text=True).stdout.strip() or "?"
    print(f"bench dir {base_dir} (filesystem {fs}); {os.cpu_count()} cpus; "
          f"load average {compare.loadavg()}")
    if "conclave" in systems:
        built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(args.binary)))
        head, dirty = git_state()
        print(f"conclave binary {os.path.abspath(args.binary)} (built {built}); this "
              f"repository: HEAD {head}" +
              (f", uncommitted changes outside bench/ and tests/ (measured if the binary was "
               f"built from this tree): {' '.join(dirty)}" if dirty else ""))
    if "zookeeper" in systems:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
        print(f"zookeeper {compare.zk_version()} on {java.splitlines()[0] if java else 'java ?'};"
              f" one JVM per member, Debian zkServer.sh flags, JVM default max heap "
              f"{compare.jvm_default_max_heap()}")
    print("client: zk_load on the official C client (libzookeeper-mt), which shuffles its host "
          "list; members on 127.0.0.1, data directories on the same filesystem")
    results = run_systems(bench_system, args, systems, base_dir)
    if results is None:
        return 1
    print_report(results, args, systems)
    return 1 if failed(results, args, systems) else 0


if __name__ == "__main__":
    sys.exit(main())
