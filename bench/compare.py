#!/usr/bin/python3
"""Side-by-side throughput and latency of standalone Conclave and standalone Apache ZooKeeper.

In one run: start Conclave, run every workload with zk_load, record its memory, stop it; then
the same for Apache ZooKeeper (Debian's package, started with the JVM flags Debian's
zkServer.sh uses); then print one table. Both servers get the same zoo.cfg settings (tickTime,
forceSync=yes: every write is fsynced before its reply) and data directories on the same
filesystem. Nothing is built here: pass --binary (conclave-server) and --load (zk_load).

    bench/compare.py --binary build-bench/server/conclave-server \
                     --load build-bench/bench/zk_load

Exit status: 0 when every run completed; with --strict also only when no run reported errors.
"""
import argparse
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "harness"))
import zkservers  # noqa: E402

WORKLOADS = ("create", "set", "get", "mix")
SERVERS = ("conclave", "zookeeper")
# What Debian's /usr/share/zookeeper/bin/zkServer.sh (start-foreground) passes to the JVM when
# nothing is overridden: no -Xms/-Xmx (the JVM's own default heap sizing), heap dump and kill
# on OOM, local-only JMX (zkEnv.sh sets JMXLOCALONLY=true).
DEBIAN_ZK_JVM_FLAGS = [
    "-XX:+HeapDumpOnOutOfMemoryError",
    "-XX:OnOutOfMemoryError=kill -9 %p",
    "-Dcom.sun.management.jmxremote",
    "-Dcom.sun.management.jmxremote.local.only=true",
]
RUN_SLACK_S = 240  # per zk_load run, beyond warm-up + duration: set-up, drain, close


class DebianZooKeeper(zkservers.Server):
    """The harness's ZooKeeper, but with Debian's default JVM flags instead of a fixed heap."""

    def command(self):
        return ["java", *DEBIAN_ZK_JVM_FLAGS,
                f"-Dzookeeper.log.dir={self.workdir}",
                "-Dzookeeper.root.logger=INFO,CONSOLE",
                "-Dzookeeper.admin.enableServer=false",
                "-cp", zkservers.ZK_CLASSPATH,
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.cfg_path]


def proc_status(pid):
    """VmHWM and VmRSS of a process, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(rest.split()[0])
    return out


def proc_cpu_s(pid):
    """User + system CPU seconds a process has used so far (threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def fsync_metrics(port):
    """The server's own fsync counters from `mntr` (both servers report them there)."""
    out = {}
    for line in zkservers.four_letter_word(port, "mntr", timeout=10).splitlines():
        key, _, value = line.partition("\t")
        if "fsync" in key:
            out[key] = value.strip()
    return out


def machine_busy_s():
    """CPU seconds all processes on the machine have used since boot (not idle, not iowait)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def parse_line(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def jvm_default_max_heap():
    try:
        out = subprocess.run(["java", "-XX:+PrintFlagsFinal", "-version"], capture_output=True,
                             text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "MaxHeapSize":
            return f"{int(parts[3]) / 2**20:.0f} MiB"
    return "?"


def zk_version():
    """The version of Debian's zookeeper package (dpkg), or '?'."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "zookeeper"], capture_output=True,
                         text=True).stdout.strip()
    return out or "?"


def run_load(args, hosts, workload, root):
    cmd = [args.load, "--hosts", hosts, "--workload", workload,
           "--sessions", str(args.sessions), "--outstanding", str(args.outstanding),
           "--value-bytes", str(args.value_bytes), "--keys", str(args.keys),
           "--duration-s", str(args.duration_s), "--warmup-s", str(args.warmup_s),
           "--root", root]
    if args.ops:
        cmd += ["--ops", str(args.ops)]
    print("  $ " + shlex.join(cmd), flush=True)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=args.warmup_s + args.duration_s + RUN_SLACK_S)
    except subprocess.TimeoutExpired:
        print(f"  zk_load {workload}: timed out", flush=True)
        return None
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("workload=")]
    if p.stderr.strip():
        print("  " + p.stderr.strip().replace("\n", "\n  "), flush=True)
    if not lines:
        print(f"  zk_load {workload}: exit {p.returncode}, no result line", flush=True)
        return None
    print("  " + lines[-1], flush=True)
    return parse_line(lines[-1])


def bench_server(kind, args, base_dir):
    workdir = tempfile.mkdtemp(prefix=f"{kind}-", dir=base_dir)
    extra = ["forceSync=yes"]
    cls = DebianZooKeeper if kind == "zookeeper" else zkservers.Server
    srv = cls(kind, binary=args.binary, extra_cfg=extra, tick_ms=args.tick_ms, workdir=workdir)
    result = {"workloads": {}, "load_before": loadavg()}
    print(f"== {kind}: data in {srv.data_dir}, load average {result['load_before']}", flush=True)
    if kind == "zookeeper":
        print("  jvm: " + shlex.join(srv.command()[:-2]), flush=True)
    try:
        srv.start()
        pid = srv.proc.pid
        result["rss_after_start"] = proc_status(pid)
        for workload in args.workloads:
            cpu0, load0, busy0 = proc_cpu_s(pid), children_cpu_s(), machine_busy_s()
            r = run_load(args, srv.hosts, workload, "/conclave-bench")
            if r is not None:
                server_s = proc_cpu_s(pid) - cpu0
                load_s = children_cpu_s() - load0  # zk_load, reaped by now
                r["server_cpu_s"] = f"{server_s:.2f}"
                r["load_cpu_s"] = f"{load_s:.2f}"
                # Everyone else on the machine during the run: the noise in these figures.
                r["other_cpu_s"] = f"{max(0.0, machine_busy_s() - busy0 - server_s - load_s):.2f}"
            result["workloads"][workload] = r
            if not srv.alive():
                print(f"  {kind} died; log tail:\n{srv.log_tail()}", flush=True)
                break
        if srv.alive():
            result["status"] = proc_status(pid)
            result["fsync"] = fsync_metrics(srv.port)
        result["load_after"] = loadavg()
    finally:
        srv.stop()
        if args.keep_data:
            print(f"  kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def fmt_num(v, digits=0):
    if v is None:
        return "-"
    return f"{float(v):,.{digits}f}"


def ratio(a, b):
    try:
        return f"{float(a) / float(b):.2f}"
    except (TypeError, ValueError, ZeroDivisionError):
        return "-"


def print_table(results, args):
    c = results.get("conclave", {})
    z = results.get("zookeeper", {})
    headers = ["workload", "conclave ops/s", "zk ops/s", "ratio c/zk", "c p50 us", "c p99 us",
               "zk p50 us", "zk p99 us", "c cpu s", "zk cpu s", "client cpu s c/zk",
               "other cpu s c/zk", "errors c/zk"]
    rows = []
    for w in args.workloads:
        cw = (c.get("workloads") or {}).get(w) or {}
        zw = (z.get("workloads") or {}).get(w) or {}
        rows.append([w, fmt_num(cw.get("ops_per_s")), fmt_num(zw.get("ops_per_s")),
                     ratio(cw.get("ops_per_s"), zw.get("ops_per_s")),
                     fmt_num(cw.get("p50_us")), fmt_num(cw.get("p99_us")),
                     fmt_num(zw.get("p50_us")), fmt_num(zw.get("p99_us")),
                     cw.get("server_cpu_s", "-"), zw.get("server_cpu_s", "-"),
                     f"{cw.get('load_cpu_s', '-')}/{zw.get('load_cpu_s', '-')}",
                     f"{cw.get('other_cpu_s', '-')}/{zw.get('other_cpu_s', '-')}",
                     f"{cw.get('errors', '-')}/{zw.get('errors', '-')}"])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print()
    print(f"sessions={args.sessions} outstanding={args.outstanding} "
          f"value_bytes={args.value_bytes} keys={args.keys} duration_s={args.duration_s} "
          f"warmup_s={args.warmup_s} tickTime={args.tick_ms} forceSync=yes (both)")
    print("  ".join(h.rjust(widths[i]) if i else h.ljust(widths[i])
                    for i, h in enumerate(headers)))
    for r in rows:
        print("  ".join(v.rjust(widths[i]) if i else v.ljust(widths[i]) for i, v in enumerate(r)))
    print("c/zk cpu s: server CPU seconds during the run (set-up, warm-up, measured window, "
          "drain); client: zk_load's; other: the rest of the machine (noise)")
    print()

    def mem(res, key):
        st = res.get("status") or {}
        return st.get(key)

    def mib(kib):
        return "-" if kib is None else f"{kib / 1024:.1f} MiB"

    for key, label in (("VmRSS", "RSS at end"), ("VmHWM", "peak RSS (VmHWM)")):
        print(f"{label:18} conclave {mib(mem(c, key)):>12}   zookeeper {mib(mem(z, key)):>12}"
              f"   ratio c/zk {ratio(mem(c, key), mem(z, key))}")
    for name, res in (("conclave", c), ("zookeeper", z)):
        if res:
            start = (res.get("rss_after_start") or {}).get("VmRSS")
            print(f"{name:9} RSS right after start {mib(start)}; load average before "
                  f"{res.get('load_before')}, after {res.get('load_after', '-')}")
    for name, res in (("conclave", c), ("zookeeper", z)):
        if res.get("fsync"):
            print(f"{name:9} mntr: " + " ".join(f"{k}={v}" for k, v in res["fsync"].items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True, help="path to conclave-server")
    ap.add_argument("--load", required=True, help="path to zk_load")
    ap.add_argument("--duration-s", type=float, default=10.0, help="measured seconds per run")
    ap.add_argument("--warmup-s", type=float, default=2.0, help="unmeasured seconds per run")
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--outstanding", type=int, default=64, help="requests in flight per session")
    ap.add_argument("--value-bytes", type=int, default=1024)
    ap.add_argument("--keys", type=int, default=1000, help="znodes that set/get/mix address")
    ap.add_argument("--ops", type=int, default=0, help="stop a run after this many ops (0: none)")
    ap.add_argument("--tick-ms", type=int, default=2000, help="tickTime for both servers")
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help="comma-separated, from " + ",".join(WORKLOADS))
    ap.add_argument("--servers", default=",".join(SERVERS),
                    help="comma-separated, in run order, from " + ",".join(SERVERS))
    ap.add_argument("--dir", default=None,
                    help="parent of both servers' data directories (default: system temp)")
    ap.add_argument("--keep-data", action="store_true", help="leave the data directories")
    ap.add_argument("--strict", action="store_true", help="exit 1 if any run reported errors")
    args = ap.parse_args()
    args.workloads = [w for w in args.workloads.split(",") if w]
    servers = [s for s in args.servers.split(",") if s]
    for w in args.workloads:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w}")
    for s in servers:
        if s not in SERVERS:
            ap.error(f"unknown server {s}")
    for path in (args.binary, args.load):
        if not os.access(path, os.X_OK):
            ap.error(f"not executable: {path}")

    base_dir = tempfile.mkdtemp(prefix="conclave-bench-", dir=args.dir)
    fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE,SOURCE", "-T", base_dir],
                        capture_output=True, text=True).stdout.strip() or "?"
    print(f"bench dir {base_dir} (filesystem {fs}); {os.cpu_count()} cpus; "
          f"load average {loadavg()}")
    if "conclave" in servers:
        built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(args.binary)))
        print(f"conclave binary {os.path.abspath(args.binary)} (built {built})")
    if "zookeeper" in servers:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
        print(f"zookeeper {zk_version()} on {java.splitlines()[0] if java else 'java ?'}")
        print(f"zookeeper JVM: Debian zkServer.sh default flags {' '.join(DEBIAN_ZK_JVM_FLAGS)}; "
              f"no -Xms/-Xmx, so the JVM default max heap applies: {jvm_default_max_heap()}")
    results = {}
    try:
        for s in servers:
            results[s] = bench_server(s, args, base_dir)
    finally:
        if not args.keep_data:
            shutil.rmtree(base_dir, ignore_errors=True)
    print_table(results, args)

    failed = False
    for s in servers:
        for w in args.workloads:
            r = results.get(s, {}).get("workloads", {}).get(w)
            if r is None:
                failed = True
            elif args.strict and (r.get("errors") != "0" or r.get("ops") in (None, "0")):
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
