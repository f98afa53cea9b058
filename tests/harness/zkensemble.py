"""Start and stop a real conclave-server ensemble for tests: N members on loopback, each with
its own zoo.cfg, dataDir and myid, and free client, quorum and election ports.

    with Ensemble(binary, participants=3, observers=1) as ens:
        ens.start()
        view = ens.wait_stable()          # exactly one leader, everyone else following it
        ens.members[view.leader].kill9()
        ...

Every wait polls four-letter words against a deadline, never a sleep: `srvr` for the mode
ZooKeeper itself reports, and Conclave's own `zabs` for the ZAB state behind it (phase, role,
leader, epochs).
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from zkservers import four_letter_word, stop_process

NOT_SERVING = "This ZooKeeper instance is not currently serving requests"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
STARTUP_TIMEOUT_S = 30


def ephemeral_port_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(count):
    """`count` distinct ports that are free now, from BELOW the ephemeral range: members dial
    each other, and an outgoing connection's ephemeral port could otherwise take a port chosen
    for a member that has not started (or is being restarted) yet. Each is checked by binding,
    and all are held until all are chosen."""
    low, _ = ephemeral_port_range()
    rng = random.Random()
    socks = []
    try:
        while len(socks) < count:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", rng.randrange(10000, max(low, 10001))))
            except OSError:
                s.close()
                continue
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls `predicate` until it returns a true value (returned) or raises on the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def parse_zabs(text):
    """The `zabs` answer as a dict (values as strings); {} when there was no answer."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("\t")
        if sep:
            out[key] = value
    return out


class Member:
    """One conclave-server process of the ensemble."""

    def __init__(self, binary, sid, workdir, observer, ports):
        self.binary = binary
        self.id = sid
        self.observer = observer
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.cfg_path = os.path.join(workdir, "zoo.cfg")
        self.log_path = os.path.join(workdir, "server.log")
        self.client_port, self.quorum_port, self.election_port = ports
        self.proc = None
        self.expected_alive = False  # started and not killed or stopped since

    def server_line(self):
        role = ":observer" if self.observer else ""
        return f"server.{self.id}=127.0.0.1:{self.quorum_port}:{self.election_port}{role}"

    def write_config(self, server_lines, tick_ms, init_limit, sync_limit, myid=True,
                     extra_cfg=()):
        os.makedirs(self.data_dir, exist_ok=True)
        lines = [
            f"tickTime={tick_ms}",
            f"initLimit={init_limit}",
            f"syncLimit={sync_limit}",
            f"dataDir={self.data_dir}",
            f"clientPort={self.client_port}",
            "clientPortAddress=127.0.0.1",
            "4lw.commands.whitelist=*",
            *server_lines,
            *extra_cfg,
        ]
        if self.observer:
            lines.append("peerType=observer")
        with open(self.cfg_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        myid_path = os.path.join(self.data_dir, "myid")
        if myid is True:
            myid = self.id
        if myid is None:
            if os.path.exists(myid_path):
                os.remove(myid_path)
        else:
            with open(myid_path, "w") as f:
                f.write(f"{myid}\n")

    def start(self):
        assert not self.alive(), f"member {self.id} is already running"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, self.cfg_path], stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.expected_alive = True
        return self

    def wait_listening(self, timeout=STARTUP_TIMEOUT_S):
        """Waits until the process answers `ruok` (it listens; it may still be electing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"member {self.id} exited with {self.proc.returncode}; "
                                   f"log:\n{self.log_tail()}")
            if self.word("ruok", timeout=1.0) == "imok":
                return
            time.sleep(0.05)
        raise RuntimeError(f"member {self.id} not answering after {timeout}s; "
                           f"log:\n{self.log_tail()}")

    def word(self, word, timeout=2.0):
        return four_letter_word(self.client_port, word, timeout=timeout)

    def zabs(self, timeout=2.0):
        return parse_zabs(self.word("zabs", timeout=timeout))

    def mode(self):
        """srvr's Mode (leader/follower/observer), 'not serving', or None with no answer."""
        text = self.word("srvr")
        if NOT_SERVING in text:
            return "not serving"
        for line in text.splitlines():
            if line.startswith("Mode: "):
                return line[len("Mode: "):]
        return None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        self.expected_alive = False
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def freeze(self):
        """SIGSTOP: the process holds its sockets open but answers nothing (like a long GC
        pause, or a partition TCP does not notice)."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        self.expected_alive = False
        stop_process(self.proc)

    def sanitizer_reports(self):
        """Lines where ASan/UBSan/LSan reported something (sanitizer builds), over every run."""
        try:
            with open(self.log_path, errors="replace") as f:
                return [line.rstrip() for line in f if any(m in line for m in SANITIZER_MARKERS)]
        except OSError:
            return []

    def log_size(self):
        """Where the log ends now: pass it to log_since() to read only what comes after."""
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, offset):
        try:
            with open(self.log_path, errors="replace") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class View:
    """What the live members agree on: the leader, its epoch, and who follows or observes."""

    def __init__(self, leader, epoch, followers, observers):
        self.leader = leader
        self.epoch = epoch
        self.followers = followers
        self.observers = observers

    def __repr__(self):
        return (f"View(leader={self.leader}, epoch={self.epoch}, followers={self.followers}, "
                f"observers={self.observers})")


class Ensemble:
    """`participants` voters with ids 1..participants, then `observers` observers."""

    def __init__(self, binary, participants=3, observers=0, tick_ms=100, init_limit=10,
                 sync_limit=5, extra_cfg=()):
        """`extra_cfg`: zoo.cfg lines every member gets."""
        self.binary = binary
        self.extra_cfg = tuple(extra_cfg)
        self.workdir = tempfile.mkdtemp(prefix="conclave-ensemble-")
        self.tick_ms = tick_ms
        self.init_limit = init_limit
        self.sync_limit = sync_limit
        self.members = {}
        count = participants + observers
        ports = free_ports(3 * count)
        for i in range(1, count + 1):
            self.members[i] = Member(binary, i, os.path.join(self.workdir, f"m{i}"),
                                     observer=i > participants, ports=ports[3 * i - 3:3 * i])
        for m in self.members.values():
            self.write_config(m)

    def server_lines(self):
        return [m.server_line() for m in self.members.values()]

    def write_config(self, member, **kw):
        kw.setdefault("extra_cfg", self.extra_cfg)
        member.write_config(self.server_lines(), self.tick_ms, self.init_limit, self.sync_limit,
                            **kw)

    def hosts(self, ids=None):
        """A client's host list: the members `ids` (default: all)."""
        return ",".join(f"127.0.0.1:{self.members[i].client_port}"
                        for i in (ids or self.members))

    def start(self, ids=None):
        """Starts the members `ids` (default: all) and waits until each answers ruok."""
        chosen = [self.members[i] for i in (ids or self.members)]
        for m in chosen:
            m.start()
        for m in chosen:
            m.wait_listening()

    def live(self, exclude=()):
        return [m for m in self.members.values() if m.alive() and m.id not in exclude]

    def view(self, exclude=()):
        """The View if every live member serves (broadcast) with one leader -- the leader
        LEADING, every other participant FOLLOWING and every observer OBSERVING it, all in the
        same epoch, and srvr agreeing -- else None."""
        live = self.live(exclude)
        if not live:
            return None
        states = {m.id: m.zabs() for m in live}
        if any(s.get("phase") != "BROADCAST" for s in states.values()):
            return None
        leaders = {s.get("leader") for s in states.values()}
        epochs = {s.get("epoch") for s in states.values()}
        if len(leaders) != 1 or len(epochs) != 1:
            return None
        leader = int(leaders.pop())
        if leader not in states or states[leader].get("role") != "LEADING":
            return None
        followers, observers = [], []
        for m in live:
            if m.id == leader:
                continue
            want = "OBSERVING" if m.observer else "FOLLOWING"
            if states[m.id].get("role") != want:
                return None
            (observers if m.observer else followers).append(m.id)
        # srvr tells the same story in ZooKeeper's words.
        modes = {m.id: m.mode() for m in live}
        for m in live:
            want = "leader" if m.id == leader else "observer" if m.observer else "follower"
            if modes[m.id] != want:
                return None
        return View(leader, int(epochs.pop()), sorted(followers), sorted(observers))

    def describe(self):
        """Every member's zabs and log tail, for a failure message."""
        parts = []
        for m in self.members.values():
            state = m.zabs(timeout=0.5) if m.alive() else "(not running)"
            parts.append(f"--- member {m.id}: {state}\n{m.log_tail(15)}")
        return "\n".join(parts)

    def wait_stable(self, timeout=60, what="a stable ensemble", check=None, exclude=()):
        """Polls view() until it is not None (and `check(view)` holds, if given). Members in
        `exclude` (frozen ones, which cannot answer) are left out of the view."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.members.values():
                if m.expected_alive and not m.alive():
                    raise AssertionError(f"member {m.id} exited with {m.proc.returncode}\n"
                                         f"{self.describe()}")
            v = self.view(exclude)
            if v is not None and (check is None or check(v)):
                return v
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{self.describe()}")

    def cleanup(self):
        """Stops every member (SIGTERM: a sanitizer build reports leaks at exit) and returns
        the sanitizer reports found in their logs; removes the work directory."""
        for m in self.members.values():
            m.stop()
        reports = {m.id: m.sanitizer_reports() for m in self.members.values()}
        shutil.rmtree(self.workdir, ignore_errors=True)
        return {sid: r for sid, r in reports.items() if r}

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        reports = self.cleanup()
        if reports and exc_type is None:
            raise AssertionError(f"sanitizer reports from members: {reports}")
