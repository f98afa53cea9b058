"""A replicated ensemble of conclave-server or Apache ZooKeeper members on loopback, for bench/.

Both kinds are launched the same way, one process per member: a zoo.cfg with the same lines
(tickTime, initLimit, syncLimit, forceSync, snapCount, server.N=127.0.0.1:quorumPort:electionPort)
and a myid in each member's dataDir. ZooKeeper members are separate JVMs running
QuorumPeerMain with the JVM flags Debian's zkServer.sh uses (see compare.DEBIAN_ZK_JVM_FLAGS),
plus the log jars so that their log lands in server.log as Conclave's does.

Readiness is asked of the members, never assumed after a sleep: `srvr` must report a Mode
(ZooKeeper and Conclave both say "not currently serving" until a member has synced with a
leader), with exactly one leader among the live members.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "harness"))
import zkensemble  # noqa: E402  (free_ports)
import zkservers  # noqa: E402  (four_letter_word, ZooKeeper class path and log set-up)

from compare import DEBIAN_ZK_JVM_FLAGS  # noqa: E402

KINDS = ("conclave", "zookeeper")
POLL_INTERVAL_S = 0.05


class Member(zkensemble.Member):
    """One member process; `kind` is conclave or zookeeper. The test harness's member, plus
    ZooKeeper's command line, the bench's zoo.cfg and a timed kill."""

    def __init__(self, kind, sid, workdir, ports, binary=None):
        super().__init__(binary, sid, workdir, observer=False, ports=ports)
        self.kind = kind

    @property
    def host(self):
        return f"127.0.0.1:{self.client_port}"

    def write_config(self, lines):
        os.makedirs(self.data_dir, exist_ok=True)
        with open(self.cfg_path, "w") as f:
            f.write("\n".join([*lines, f"dataDir={self.data_dir}",
                               f"clientPort={self.client_port}"]) + "\n")
        with open(os.path.join(self.data_dir, "myid"), "w") as f:
            f.write(f"{self.id}\n")

    def command(self):
        if self.kind == "conclave":
            return [self.binary, self.cfg_path]
        return ["java", *DEBIAN_ZK_JVM_FLAGS,
                "-cp", f"{zkservers.ZK_CLASSPATH}:{zkservers.ZK_LOG_JARS}",
                "-Dzookeeper.root.logger=INFO,CONSOLE",
                f"-Dzookeeper.log.dir={self.workdir}",
                "-Dzookeeper.admin.enableServer=false",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.cfg_path]

    def start(self):
        assert not self.alive(), f"member {self.id} is already running"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        self.expected_alive = True

    @property
    def pid(self):
        return self.proc.pid

    def kill9(self):
        """SIGKILL and reap. Returns CLOCK_MONOTONIC ns just before the signal and after the
        reap: the window in which the member died."""
        self.expected_alive = False
        before = time.monotonic_ns()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        return before, time.monotonic_ns()

    def log_tail(self, lines=40):
        return super().log_tail(lines)


class Ensemble:
    """`size` voting members of one kind, ids 1..size, under a fresh directory in `base_dir`."""

    def __init__(self, kind, size, base_dir, tick_ms, init_limit, sync_limit, binary=None):
        assert kind in KINDS, kind
        self.kind = kind
        self.workdir = tempfile.mkdtemp(prefix=f"{kind}-ensemble-", dir=base_dir)
        ports = zkensemble.free_ports(3 * size)
        self.members = {
            i: Member(kind, i, os.path.join(self.workdir, f"m{i}"), ports[3 * i - 3:3 * i],
                      binary)
            for i in range(1, size + 1)
        }
        self.config_lines = [
            f"tickTime={tick_ms}",
            f"initLimit={init_limit}",
            f"syncLimit={sync_limit}",
            # ZooKeeper's defaults, written out so that both read the same values.
            "forceSync=yes",
            "snapCount=100000",
            "clientPortAddress=127.0.0.1",
            "maxClientCnxns=0",
            "4lw.commands.whitelist=*",
            # Three JVMs would otherwise all try the admin server's port 8080.
            "admin.enableServer=false",
            *[m.server_line() for m in self.members.values()],
        ]
        for m in self.members.values():
            m.write_config(self.config_lines)

    def hosts(self, ids=None):
        return ",".join(self.members[i].host for i in (ids or self.members))

    def live(self):
        return [m for m in self.members.values() if m.alive()]

    def start(self, ids=None):
        for i in ids or self.members:
            self.members[i].start()

    def check_alive(self):
        """Raises when a member that should run has exited."""
        for m in self.members.values():
            if m.expected_alive and not m.alive():
                raise RuntimeError(f"{self.kind} member {m.id} exited with status "
                                   f"{m.proc.returncode}\n{self.describe()}")

    def serving_view(self):
        """(leader id, follower ids) when every expected member serves under one leader."""
        expected = [m for m in self.members.values() if m.expected_alive]
        modes = {m.id: m.mode() for m in expected}
        leaders = [sid for sid, mode in modes.items() if mode == "leader"]
        followers = [sid for sid, mode in modes.items() if mode == "follower"]
        if len(leaders) == 1 and len(leaders) + len(followers) == len(expected):
            return leaders[0], sorted(followers)
        return None

    def wait_serving(self, timeout_s, what):
        """Polls srvr on every expected member until all serve under one leader."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            view = self.serving_view()
            if view is not None:
                return view
            time.sleep(POLL_INTERVAL_S)
        raise RuntimeError(f"{self.kind}: timed out after {timeout_s}s waiting for {what}\n"
                           f"{self.describe()}")

    def member_by_host(self, host):
        for m in self.members.values():
            if m.host == host:
                return m
        return None

    def describe(self, lines=25):
        parts = []
        for m in self.members.values():
            state = (m.mode() if m.alive() else
                     f"not running (status {m.proc.returncode if m.proc else '-'})")
            parts.append(f"--- {self.kind} member {m.id} ({m.host}, {m.log_path}): {state}\n"
                         f"{m.log_tail(lines)}")
        return "\n".join(parts)

    def cleanup(self, keep=False):
        for m in self.members.values():
            m.stop()
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
