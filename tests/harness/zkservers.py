"""Start and stop real servers for tests: conclave-server or Apache ZooKeeper (Debian's
package), each on a free loopback port with its own data directory.

Both are driven the same way so one test script can hold both to the same expectations:

    with make_server("conclave", binary=path) as srv:   # or make_server("zookeeper")
        KazooClient(hosts=srv.hosts) ...
        srv.kill9(); srv.start()

Readiness is a real check (`ruok` answered with `imok` and `srvr` reporting a mode), never a
sleep.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ZK_CLASSPATH = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"
# Debian's zookeeper.jar has no SLF4J binding, so on its own it logs nothing. These two jars
# (packages libslf4j-java and liblog4j1.2-java, both dependencies of libzookeeper-java) route
# its log to log4j 1.2, configured by ZK_LOG4J_CONFIG: INFO and above to server.log.
ZK_LOG_JARS = "/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar"
ZK_LOG4J_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "zookeeper-log4j.properties")
READY_TIMEOUT_S = 60


def stop_process(proc, timeout=20):
    """SIGTERM, then SIGKILL if `proc` has not exited within `timeout` seconds; reaps it."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def four_letter_word(port, word, timeout=5.0):
    """Sends a four-letter word and returns the whole answer ('' if the connection fails)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(word.encode())
            chunks = []
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


class Server:
    """One standalone server process. `extra_cfg` adds zoo.cfg lines."""

    def __init__(self, kind, binary=None, extra_cfg=None, tick_ms=500, workdir=None,
                 java_props=None):
        """`java_props` ({name: value}) are -D system properties for Apache ZooKeeper only,
        for settings it reads from the JVM rather than from zoo.cfg (e.g.
        znode.container.checkIntervalMs); Conclave ignores them."""
        assert kind in ("conclave", "zookeeper"), kind
        self.java_props = dict(java_props or {})
        self.kind = kind
        self.binary = binary
        self.port = free_port()
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"{kind}-test-")
        self.data_dir = os.path.join(self.workdir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.cfg_path = os.path.join(self.workdir, "zoo.cfg")
        self.log_path = os.path.join(self.workdir, "server.log")
        lines = [
            f"tickTime={tick_ms}",
            f"dataDir={self.data_dir}",
            f"clientPort={self.port}",
            "clientPortAddress=127.0.0.1",
            "4lw.commands.whitelist=*",
            "maxClientCnxns=0",
        ]
        if kind == "zookeeper":
            lines += ["admin.enableServer=false"]
        lines += list(extra_cfg or [])
        with open(self.cfg_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None

    @property
    def hosts(self):
        return f"127.0.0.1:{self.port}"

    def command(self):
        if self.kind == "conclave":
            return [self.binary, self.cfg_path]
        return [
            "java", "-Xmx512m", "-cp", f"{ZK_CLASSPATH}:{ZK_LOG_JARS}",
            f"-Dlog4j.configuration=file:{ZK_LOG4J_CONFIG}",
            "-Dzookeeper.admin.enableServer=false",
            *[f"-D{k}={v}" for k, v in self.java_props.items()],
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.cfg_path,
        ]

    def start(self, wait=True):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=READY_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}; "
                                   f"log:\n{self.log_tail()}")
            # ZooKeeper answers ruok before it serves requests (until then it closes client
            # connections and srvr says "not currently serving"), so both must be fine.
            if (four_letter_word(self.port, "ruok", timeout=1.0) == "imok" and
                    "Mode:" in four_letter_word(self.port, "srvr", timeout=1.0)):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} not ready after {timeout}s; log:\n{self.log_tail()}")

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        stop_process(self.proc)

    def cleanup(self):
        self.stop()
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        if not self.alive():
            self.start()
        return self

    def __exit__(self, *exc):
        self.cleanup()


def make_server(kind, binary=None, **kw):
    return Server(kind, binary=binary, **kw)


def add_server_args(parser):
    """The command-line arguments every compat/integration script takes."""
    parser.add_argument("--server", choices=["conclave", "zookeeper"], required=True)
    parser.add_argument("--binary", help="path to conclave-server (for --server conclave)")
