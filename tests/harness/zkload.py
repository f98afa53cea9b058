"""Write load with a record of what was acknowledged, and member-by-member tree reads, for the
replication tests (tests/ensemble/replication_test.py).

    writers = [Writer(i, hosts) for i in range(4)]   # each its own kazoo session
    for w in writers: w.start()
    ...                                               # kill, restart, freeze members
    for w in writers: w.finish()
    tree = read_tree(port)                            # a client on that member only, after sync

Each writer creates, in its folder /w/<index>, regular nodes (n<k>) and sequential ones (s-),
every one with a unique payload "w<index>:<k>", several requests in flight at once. A reply
makes the write ACKNOWLEDGED (its path and payload recorded); a connection loss before the
reply makes it UNKNOWN (it may or may not have happened). check_writes() then holds a tree to
that record: every acknowledged write there with its payload at its path, every payload at
most once, and nothing nobody wrote.
"""
import logging
import threading
import time

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import ConnectionLoss, NoNodeError

logging.getLogger("kazoo.client").setLevel(logging.CRITICAL)  # reconnects are the point here

ROOT = "/w"
EPHEMERALS = "/eph"
PIPELINE_DEPTH = 8        # requests a writer keeps in flight
REPLY_TIMEOUT_S = 90      # no reply (nor connection loss) this long: the ensemble is stuck
RECONNECT_TIMEOUT_S = 90  # a writer disconnected this long fails
READ_BATCH = 256          # reads in flight while reading a tree


def make_client(hosts, session_timeout_s, start_timeout_s=60):
    """A started kazoo client that retries connecting forever, quickly (a member being down
    for a few seconds must not push its next attempt out by minutes)."""
    client = KazooClient(hosts=hosts, timeout=session_timeout_s,
                         connection_retry=dict(max_tries=-1, delay=0.05, backoff=1.5,
                                               max_delay=0.5))
    client.start(timeout=start_timeout_s)
    return client


def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Writer(threading.Thread):
    def __init__(self, index, hosts, session_timeout_s):
        super().__init__(name=f"writer-{index}", daemon=True)
        self.index = index
        self.dir = f"{ROOT}/{index}"
        self.ephemeral = f"{EPHEMERALS}/{index}"
        self.states = []
        self.client = make_client(hosts, session_timeout_s)
        self.client.add_listener(self.states.append)
        self.session_id = self.client.client_id[0]
        self.client.ensure_path(self.dir)
        self.client.create(self.ephemeral, f"session {self.session_id:#x}".encode(),
                           ephemeral=True, makepath=True)
        self.lock = threading.Lock()
        self.acked = {}    # path -> payload
        self.unknown = {}  # payload -> the path asked for (sequential: the prefix)
        self.failures = []
        self.stop_event = threading.Event()
        self.k = 0

    def acked_count(self):
        with self.lock:
            return len(self.acked)

    def fail(self, message):
        with self.lock:
            self.failures.append(f"writer {self.index}: {message}")
        self.stop_event.set()

    def run(self):
        try:
            while not self.stop_event.is_set():
                if not self.write_batch():
                    # Every request of the batch was lost with the connection: wait for the
                    # client to reconnect instead of spinning through more losses.
                    if not wait_until(lambda: self.client.connected or self.stop_event.is_set(),
                                      RECONNECT_TIMEOUT_S):
                        self.fail(f"not reconnected after {RECONNECT_TIMEOUT_S}s")
        except Exception as e:  # noqa: BLE001 -- any surprise is a test failure, not a hang
            self.fail(f"{type(e).__name__}: {e}")

    def write_batch(self):
        """Sends PIPELINE_DEPTH creates and records their outcomes; False when none got an
        answer."""
        batch = []
        for _ in range(PIPELINE_DEPTH):
            self.k += 1
            payload = f"w{self.index}:{self.k}".encode()
            sequential = self.k % 2 == 0
            path = f"{self.dir}/s-" if sequential else f"{self.dir}/n{self.k:08d}"
            batch.append((path, sequential, payload,
                          self.client.create_async(path, payload, sequence=sequential)))
        answered = False
        for path, sequential, payload, result in batch:
            try:
                created = result.get(timeout=REPLY_TIMEOUT_S)
            except ConnectionLoss:
                with self.lock:
                    self.unknown[payload] = path
                continue
            except self.client.handler.timeout_exception:
                self.fail(f"create {path}: no answer in {REPLY_TIMEOUT_S}s")
                return True
            except Exception as e:  # noqa: BLE001 -- NodeExists would be a duplicate apply
                self.fail(f"create {path}: {type(e).__name__}: {e}")
                return True
            answered = True
            if sequential:
                ok = created.startswith(path) and len(created) == len(path) + 10
            else:
                ok = created == path
            if not ok:
                self.fail(f"create {path} answered with path {created}")
            with self.lock:
                self.acked[created] = payload
        return answered

    def finish(self, timeout=REPLY_TIMEOUT_S + 30):
        """Stops writing (the session stays open) and returns the failures."""
        self.stop_event.set()
        self.join(timeout)
        if self.is_alive():
            self.failures.append(f"writer {self.index}: still running after {timeout}s")
        return self.failures

    def session_failures(self):
        """The session survived everything: same id, never lost, its ephemeral still its own
        (read through its own connection)."""
        out = []
        if self.client.client_id is None or self.client.client_id[0] != self.session_id:
            out.append(f"writer {self.index}: session {self.session_id:#x} replaced by "
                       f"{self.client.client_id}")
        if KazooState.LOST in self.states:
            out.append(f"writer {self.index}: session {self.session_id:#x} was lost")
        try:
            _, stat = self.client.get(self.ephemeral)
            if stat.ephemeralOwner != self.session_id:
                out.append(f"writer {self.index}: {self.ephemeral} owned by "
                           f"{stat.ephemeralOwner:#x}, not {self.session_id:#x}")
        except NoNodeError:
            out.append(f"writer {self.index}: its ephemeral {self.ephemeral} is gone")
        return out

    def close(self):
        self.client.stop()
        self.client.close()


def stat_fields(stat):
    return (stat.czxid, stat.mzxid, stat.pzxid, stat.ctime, stat.mtime, stat.version,
            stat.cversion, stat.aversion, stat.ephemeralOwner, stat.dataLength, stat.numChildren)


def read_tree(port, session_timeout_s=30):
    """Every znode of the member on `port` as {path: (data, stat fields)}, read through a client
    connected to that member only, after a sync (so it holds every write committed before)."""
    client = make_client(f"127.0.0.1:{port}", session_timeout_s)
    try:
        client.sync("/")
        tree = {}
        level = ["/"]
        while level:
            next_level = []
            for i in range(0, len(level), READ_BATCH):
                chunk = level[i:i + READ_BATCH]
                gets = [(p, client.get_async(p), client.get_children_async(p)) for p in chunk]
                for path, get, children in gets:
                    data, stat = get.get(timeout=60)
                    tree[path] = (data, stat_fields(stat))
                    prefix = path.rstrip("/")
                    next_level.extend(f"{prefix}/{c}" for c in sorted(children.get(timeout=60)))
            level = next_level
        return tree
    finally:
        client.stop()
        client.close()


def tree_differences(a, b, limit=10):
    """Up to `limit` lines saying where trees a and b differ; [] if they are equal."""
    out = []
    for path in sorted(set(a) | set(b)):
        if a.get(path) != b.get(path):
            out.append(f"{path}: {a.get(path)} vs {b.get(path)}")
            if len(out) >= limit:
                break
    return out


def check_writes(tree, writer):
    """Problems with `writer`'s folder in `tree` against its record (see the module doc)."""
    problems = []
    prefix = writer.dir + "/"
    found = {}  # payload -> paths holding it
    for path, (data, _) in tree.items():
        if path.startswith(prefix):
            found.setdefault(data, []).append(path)
    with writer.lock:
        acked = dict(writer.acked)
        unknown = dict(writer.unknown)
    for path, payload in sorted(acked.items()):
        if path not in tree:
            problems.append(f"acknowledged {path} ({payload!r}) is missing")
        elif tree[path][0] != payload:
            problems.append(f"acknowledged {path} holds {tree[path][0]!r}, not {payload!r}")
    acked_payloads = set(acked.values())
    for payload, paths in sorted(found.items()):
        if len(paths) > 1:
            problems.append(f"{payload!r} written once, found at {sorted(paths)}")
        elif payload in acked_payloads:
            continue
        elif payload not in unknown:
            problems.append(f"{paths[0]} holds {payload!r}, which nobody wrote")
        elif not paths[0].startswith(unknown[payload]):
            problems.append(f"{payload!r} was asked for {unknown[payload]}, found at {paths[0]}")
    return problems[:20]
