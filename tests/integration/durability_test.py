#!/usr/bin/python3
"""Durability under kill -9: nothing acknowledged is ever lost, and sessions survive restarts.

Writer threads, each with its own session on a raw socket, pipeline writes continuously:
creates of named and of sequential nodes, deletes of their own nodes, and setData on their
own counter with a version check (so each counter's versions form one chain). Every write
whose reply arrived is ACKNOWLEDGED; a write whose connection broke before its reply is
UNKNOWN. The server is killed with SIGKILL at random moments (seeded; the seed is printed)
and restarted on the same data directory. Checks:

  - after each restart, every write acknowledged before the kill is there (named and
    sequential creates, deletes, the counter's version never below the last acknowledged
    one, its data the acknowledged data or an unknown later write's);
  - each writer re-attaches its session (same id and password, lastZxidSeen = the newest zxid
    it saw, which the server must have) and resolves its unknown writes by looking: what it
    sees counts as acknowledged from then on (a read reply is only sent once durable), what is
    missing must stay missing;
  - each writer's ephemeral node stays, owned by its session, through every restart; so does a
    kazoo client's, and that kazoo client never loses its session;
  - zxids a session sees never go backwards, across restarts too;
  - at the end, each writer's folder holds exactly the nodes it knows of, with their data.

    /usr/bin/python3 durability_test.py --server conclave --binary PATH --kills 20 [--seed N]
"""
import itertools
import logging
import random
import sys
import threading
import time
import traceback
import unittest

import integ_util
from integ_util import make_server, wait_for, wait_serving
import zkraw as R

from kazoo.client import KazooClient, KazooState

ARGS = None
logging.getLogger("kazoo.client").setLevel(logging.ERROR)  # reconnects are expected here
ROOT = "/dur"
SESSION_TIMEOUT_MS = 10000
PIPELINE_DEPTH = 8            # requests a writer keeps in flight
DATA_BYTES = 64               # padding of each value, besides its unique tag
DELETE_PROBABILITY = 0.1      # per batch, delete one of its own nodes
NODES_PER_WRITER_MAX = 4000   # above this a writer deletes more than it creates (long runs)
DELETES_PER_BATCH_OVER_MAX = 12
PROGRESS_EVERY_KILLS = 25
PROGRESS_TIMEOUT_S = 60       # for every writer to be acknowledged again after a restart
KILL_DELAY_MAX_S = 0.5        # a kill comes at a random moment in [0, this] after progress
RECOVERY_KILL_PROBABILITY = 0.2  # after a kill, also kill the restarting server
RECOVERY_KILL_DELAY_MAX_S = 0.1  # ... at a random moment in [0, this] after its exec


class TestFailure(Exception):
    pass


class Writer(threading.Thread):
    """One session writing into ROOT/t<i> and ROOT/c<i>; all its bookkeeping is under `lock`."""

    def __init__(self, index, port, seed, failures):
        super().__init__(name=f"writer-{index}", daemon=True)
        self.index = index
        self.port = port
        self.rng = random.Random(seed)
        self.failures = failures
        self.dir = f"{ROOT}/t{index}"
        self.counter = f"{ROOT}/c{index}"
        self.eph = f"{ROOT}/eph{index}"
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.session_id = 0
        self.passwd = None
        self.max_zxid = 0
        self.seq_no = 0
        # Acknowledged state (also what a read showed, once the outcome is resolved).
        self.nodes = {}            # name -> data of nodes that exist
        self.gone = set()          # names acknowledged deleted, or seen missing: must stay gone
        self.counter_version = 0
        self.counter_data = b""
        self.eph_acked = False
        # Writes whose outcome is unknown.
        self.unknown_creates = {}  # name -> data (named creates)
        self.unknown_seq = set()   # data of sequential creates
        self.unknown_deletes = set()
        self.unknown_sets = {}     # data -> the version it would give the counter
        self.delete_sent = set()   # names with a delete in flight, or of unknown outcome
        # Statistics.
        self.acked_writes = 0
        self.unknown_writes = 0
        self.reattaches = 0

    # ---- helpers ----

    def fail(self, message):
        self.failures.append(f"writer {self.index}: {message}")
        self.stop_event.set()

    def tag(self, kind):
        self.seq_no += 1
        tag = f"{self.index}:{kind}:{self.seq_no}:".encode()
        return tag + b"x" * (DATA_BYTES - len(tag)) if len(tag) < DATA_BYTES else tag

    def note_zxid(self, zxid, what):
        if zxid < self.max_zxid:
            self.fail(f"{what}: reply zxid {zxid:#x} older than {self.max_zxid:#x} already seen")
        self.max_zxid = max(self.max_zxid, zxid)

    def call(self, conn, op, body, what):
        hdr, r = conn.call(op, body)
        self.note_zxid(hdr.zxid, what)
        return hdr, r

    # ---- the session ----

    def connect(self):
        """Connects and (re-)attaches the session; returns a connection or None (server down)."""
        try:
            conn = R.RawConnection(self.port, timeout=10.0)
        except OSError:
            return None
        try:
            resp = conn.handshake(SESSION_TIMEOUT_MS, self.session_id, self.passwd, self.max_zxid)
        except (R.ConnectionClosed, OSError, ValueError):
            conn.close()  # the server is starting, or dying; or refuses our lastZxidSeen
            return None
        if self.session_id == 0:
            if resp.session_id == 0:
                conn.close()
                return None
            self.session_id, self.passwd = resp.session_id, resp.passwd
        elif resp.session_id != self.session_id or resp.timeout_ms <= 0:
            self.fail(f"session {self.session_id:#x} did not survive: re-attach answered {resp}")
            conn.close()
            return None
        else:
            self.reattaches += 1
        return conn

    def resolve_unknowns(self, conn):
        """After a reconnect: look at what the unknown writes did, and check the known state."""
        with self.lock:
            # The counter.
            hdr, r = self.call(conn, R.OP_GET_DATA, R.get_data_body(self.counter), "counter")
            if hdr.err != R.OK:
                self.fail(f"counter {self.counter} unreadable: {hdr.err}")
                return False
            data, stat = r.buffer(), r.stat()
            if stat.version < self.counter_version:
                self.fail(f"counter version went back: {stat.version} < acknowledged "
                          f"{self.counter_version}")
            elif stat.version == self.counter_version and data != self.counter_data:
                self.fail(f"counter at version {stat.version} holds {data!r}, acknowledged "
                          f"{self.counter_data!r}")
            elif stat.version > self.counter_version and self.unknown_sets.get(data) != stat.version:
                self.fail(f"counter at version {stat.version} holds {data!r}: no write made that "
                          f"(acknowledged {self.counter_version}, unknown {self.unknown_sets})")
            self.counter_version, self.counter_data = stat.version, data
            self.unknown_sets.clear()
            # Named creates and deletes.
            for name, data in sorted(self.unknown_creates.items()):
                hdr, r = self.call(conn, R.OP_GET_DATA, R.get_data_body(f"{self.dir}/{name}"),
                                   "resolve create")
                if hdr.err == R.OK:
                    got = r.buffer()
                    if got != data:
                        self.fail(f"{name} holds {got!r}, the create wrote {data!r}")
                    self.nodes[name] = data
                elif hdr.err == R.NO_NODE:
                    self.gone.add(name)
                else:
                    self.fail(f"getData {name}: {hdr.err}")
            self.unknown_creates.clear()
            for name in sorted(self.unknown_deletes):
                hdr, _ = self.call(conn, R.OP_EXISTS, R.exists_body(f"{self.dir}/{name}"),
                                   "resolve delete")
                if hdr.err == R.NO_NODE:
                    self.nodes.pop(name, None)
                    self.gone.add(name)
                elif hdr.err != R.OK:
                    self.fail(f"exists {name}: {hdr.err}")
                self.delete_sent.discard(name)  # resolved: it happened, or never will
            self.unknown_deletes.clear()
            # Sequential creates: unknown names, found by listing.
            hdr, r = self.call(conn, R.OP_GET_CHILDREN, R.get_children_body(self.dir), "list")
            if hdr.err != R.OK:
                self.fail(f"getChildren {self.dir}: {hdr.err}")
                return False
            children = set(r.strings())
            missing = sorted(n for n in self.nodes if n not in children)
            if missing:
                self.fail(f"acknowledged nodes missing after a restart: {missing[:10]} "
                          f"({len(missing)} in all)")
            back = sorted(children & self.gone)
            if back:
                self.fail(f"nodes acknowledged deleted (or seen missing) are back: {back[:10]}")
            for name in sorted(children - set(self.nodes) - self.gone):
                if not name.startswith("s-"):
                    self.fail(f"unexpected node {name}: no create was sent for it")
                    continue
                hdr, r = self.call(conn, R.OP_GET_DATA, R.get_data_body(f"{self.dir}/{name}"),
                                   "resolve sequential")
                if hdr.err != R.OK:
                    self.fail(f"getData {name}: {hdr.err}")
                    continue
                data = r.buffer()
                if data not in self.unknown_seq:
                    self.fail(f"sequential node {name} holds {data!r}, which no unknown create wrote")
                self.unknown_seq.discard(data)
                self.nodes[name] = data
            self.unknown_seq.clear()
            # The ephemeral.
            hdr, r = self.call(conn, R.OP_EXISTS, R.exists_body(self.eph), "ephemeral")
            if hdr.err == R.OK:
                owner = r.stat().ephemeral_owner
                if owner != self.session_id:
                    self.fail(f"ephemeral {self.eph} owned by {owner:#x}, not {self.session_id:#x}")
                self.eph_acked = True
            elif self.eph_acked:
                self.fail(f"ephemeral {self.eph} of live session {self.session_id:#x} is gone")
        return not self.stop_event.is_set()

    def ensure_ephemeral(self, conn):
        if self.eph_acked:
            return True
        hdr, _ = self.call(conn, R.OP_CREATE, R.create_body(self.eph, b"e", flags=R.EPHEMERAL),
                           "create ephemeral")
        if hdr.err != R.OK:
            self.fail(f"create {self.eph}: {hdr.err}")
            return False
        with self.lock:
            self.eph_acked = True
        return True

    # ---- writing ----

    def make_batch(self):
        """The next pipeline of writes: (kind, name or data, op, body) tuples."""
        batch = []
        version = self.counter_version
        for _ in range(PIPELINE_DEPTH):
            roll = self.rng.random()
            if roll < 0.4:
                data = self.tag("n")
                name = f"n{self.seq_no:08d}"
                batch.append(("create", (name, data), R.OP_CREATE,
                              R.create_body(f"{self.dir}/{name}", data)))
            elif roll < 0.7:
                data = self.tag("s")
                batch.append(("seq", data, R.OP_CREATE,
                              R.create_body(f"{self.dir}/s-", data,
                                            flags=R.PERSISTENT_SEQUENTIAL)))
            else:
                data = self.tag("c")
                batch.append(("set", (data, version + 1), R.OP_SET_DATA,
                              R.set_data_body(self.counter, data, version)))
                version += 1
        deletes = 0
        if len(self.nodes) > NODES_PER_WRITER_MAX:
            deletes = DELETES_PER_BATCH_OVER_MAX
        elif self.nodes and self.rng.random() < DELETE_PROBABILITY:
            deletes = 1
        if deletes:
            with self.lock:
                # The oldest nodes first (dicts keep insertion order).
                candidates = [n for n in itertools.islice(self.nodes, 4 * deletes)
                              if n not in self.delete_sent]
                chosen = self.rng.sample(candidates, min(deletes, len(candidates)))
                self.delete_sent.update(chosen)
            for name in chosen:
                batch.append(("delete", name, R.OP_DELETE, R.delete_body(f"{self.dir}/{name}")))
        return batch

    def run_batch(self, conn, batch):
        """Sends the batch, reads the replies. False when the connection broke."""
        xids = []
        try:
            for item in batch:
                xids.append(conn.send_request(item[2], item[3]))
        except R.ConnectionClosed:
            pass
        answered = 0
        try:
            for xid, (kind, what, _, _) in zip(xids, batch):
                hdr, r = conn.read_reply()
                if hdr.xid != xid:
                    self.fail(f"reply xid {hdr.xid}, expected {xid}: replies out of order")
                    return False
                self.note_zxid(hdr.zxid, kind)
                self.acknowledge(kind, what, hdr, r)
                answered += 1
        except (R.ConnectionClosed, OSError, ValueError):
            pass
        if answered == len(batch):
            return True
        with self.lock:
            for kind, what, _, _ in batch[answered:]:
                self.unknown_writes += 1
                if kind == "create":
                    self.unknown_creates[what[0]] = what[1]
                elif kind == "seq":
                    self.unknown_seq.add(what)
                elif kind == "set":
                    self.unknown_sets[what[0]] = what[1]
                else:
                    self.unknown_deletes.add(what)
        return False

    def acknowledge(self, kind, what, hdr, r):
        if hdr.err != R.OK:
            self.fail(f"{kind} {what!r} failed with {hdr.err}")
            return
        with self.lock:
            self.acked_writes += 1
            if kind == "create":
                self.nodes[what[0]] = what[1]
            elif kind == "seq":
                name = r.string().rsplit("/", 1)[1]
                self.nodes[name] = what
            elif kind == "set":
                stat = r.stat()
                if stat.version != what[1]:
                    self.fail(f"setData gave version {stat.version}, expected {what[1]}")
                self.counter_version, self.counter_data = stat.version, what[0]
            else:
                self.nodes.pop(what, None)
                self.gone.add(what)
                self.delete_sent.discard(what)  # `gone` remembers it

    def run(self):
        try:
            self.loop()
        except Exception:  # noqa: BLE001 - reported as a test failure
            self.fail("crashed:\n" + traceback.format_exc())

    def loop(self):
        conn = None
        first = True
        while not self.stop_event.is_set():
            if conn is None:
                conn = self.connect()
                if conn is None:
                    time.sleep(0.01)  # the server is down: retry until it is back
                    continue
                try:
                    ok = (first or self.resolve_unknowns(conn)) and self.ensure_ephemeral(conn)
                except (R.ConnectionClosed, OSError, ValueError):
                    ok = False
                if not ok:
                    conn.close()
                    conn = None
                    continue
                first = False
            if not self.run_batch(conn, self.make_batch()):
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def deleted_since(self, names):
        """Those of `names` a delete was sent for (in flight, unknown, or acknowledged)."""
        with self.lock:
            return {n for n in names if n in self.delete_sent or n in self.gone}

    def acked_count(self):
        with self.lock:
            return self.acked_writes

    def snapshot(self):
        """What was acknowledged so far (bounded: the nodes that exist, and the counter)."""
        with self.lock:
            return dict(self.nodes), self.counter_version


class DurabilityTest(unittest.TestCase):

    def test_kill9_loses_nothing_acknowledged(self):
        seed = ARGS.seed if ARGS.seed is not None else random.SystemRandom().randrange(2 ** 32)
        print(f"\n  durability: seed {seed} (rerun with --seed {seed}), {ARGS.kills} kills, "
              f"{ARGS.writers} writers", file=sys.stderr, flush=True)
        rng = random.Random(seed)
        srv = make_server(ARGS.server, binary=ARGS.binary,
                          extra_cfg=[f"snapCount={ARGS.snap_count}"])
        failures = []
        writers = []
        kazoo = None
        kazoo_states = []
        try:
            srv.start()
            wait_serving(srv)
            kazoo = KazooClient(hosts=srv.hosts, timeout=SESSION_TIMEOUT_MS / 1000)
            kazoo.add_listener(kazoo_states.append)
            kazoo.start(timeout=30)
            kazoo_session = kazoo.client_id[0]
            kazoo.ensure_path(ROOT)
            for i in range(ARGS.writers):
                kazoo.ensure_path(f"{ROOT}/t{i}")
                kazoo.create(f"{ROOT}/c{i}", b"")
            kazoo.create(f"{ROOT}/kazoo-eph", b"k", ephemeral=True)

            writers = [Writer(i, srv.port, rng.randrange(2 ** 32), failures)
                       for i in range(ARGS.writers)]
            for w in writers:
                w.start()
            checked_total = 0
            recovery_kills = 0
            started = time.monotonic()
            for kill in range(ARGS.kills):
                # Writes are flowing from every writer (so the kill hits them mid-stream).
                marks = [w.acked_count() for w in writers]
                wait_for(lambda: failures or all(w.acked_count() > m
                                                 for w, m in zip(writers, marks)),
                         PROGRESS_TIMEOUT_S, f"every writer to progress before kill {kill + 1}")
                self.assertEqual(failures, [], "\n".join(failures))
                time.sleep(rng.uniform(0, KILL_DELAY_MAX_S))  # the random moment of the kill
                self.assertTrue(srv.alive(), f"the server died on its own before kill {kill + 1}; "
                                             f"log:\n{srv.log_tail()}")
                srv.kill9()
                before = [w.snapshot() for w in writers]
                srv.start(wait=False)
                if rng.random() < RECOVERY_KILL_PROBABILITY:
                    # Sometimes also kill it again while it recovers.
                    time.sleep(rng.uniform(0, RECOVERY_KILL_DELAY_MAX_S))
                    srv.kill9()
                    recovery_kills += 1
                    srv.start(wait=False)
                wait_serving(srv)
                checked_total += self.check_after_restart(srv, writers, before, kill)
                self.assertEqual(failures, [], "\n".join(failures))
                if (kill + 1) % PROGRESS_EVERY_KILLS == 0:
                    print(f"  durability: {kill + 1} kills, "
                          f"{sum(w.acked_writes for w in writers)} writes acknowledged, "
                          f"{time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
            elapsed = time.monotonic() - started

            # Let every writer come back once more, then stop them and check exactly.
            marks = [w.acked_count() for w in writers]
            wait_for(lambda: failures or all(w.acked_count() > m for w, m in zip(writers, marks)),
                     PROGRESS_TIMEOUT_S, "every writer to progress after the last kill")
            for w in writers:
                w.stop_event.set()
            for w in writers:
                w.join(timeout=60)
                self.assertFalse(w.is_alive(), f"{w.name} did not stop")
            self.assertEqual(failures, [], "\n".join(failures))
            final_checked = self.check_final(srv, writers)

            wait_for(lambda: kazoo.state == KazooState.CONNECTED, 30, "kazoo to be connected")
            self.assertNotIn(KazooState.LOST, kazoo_states, "the kazoo client lost its session")
            self.assertEqual(kazoo.client_id[0], kazoo_session, "kazoo got a new session")
            stat = kazoo.exists(f"{ROOT}/kazoo-eph")
            self.assertIsNotNone(stat, "the kazoo client's ephemeral is gone")
            self.assertEqual(stat.ephemeralOwner, kazoo_session)

            self.assertEqual(integ_util.sanitizer_reports(srv), [])
            acked = sum(w.acked_writes for w in writers)
            unknown = sum(w.unknown_writes for w in writers)
            print(f"  durability: seed {seed}: {ARGS.kills} kills during writes and "
                  f"{recovery_kills} during recovery in {elapsed:.1f}s, "
                  f"{acked} writes acknowledged, {unknown} with unknown outcome, "
                  f"{checked_total} acknowledged nodes checked after restarts, "
                  f"{final_checked} nodes checked exactly at the end, "
                  f"{sum(w.reattaches for w in writers)} session re-attaches",
                  file=sys.stderr, flush=True)
        finally:
            for w in writers:
                w.stop_event.set()
            for w in writers:
                w.join(timeout=30)
            if kazoo is not None:
                kazoo.stop()
                kazoo.close()
            if failures or sys.exc_info()[0] is not None:
                print(f"  durability: FAILED with seed {seed}; server log tail:\n"
                      f"{srv.log_tail(30)}", file=sys.stderr)
            srv.cleanup()

    def verifier(self, srv):
        conn = R.RawConnection(srv.port, timeout=30.0)
        conn.handshake(SESSION_TIMEOUT_MS)
        return conn

    def check_after_restart(self, srv, writers, before, kill):
        """Everything acknowledged before the kill is there (writers keep writing meanwhile)."""
        checked = 0
        with self.verifier(srv) as conn:
            for w, (nodes, version) in zip(writers, before):
                hdr, r = conn.call(R.OP_GET_CHILDREN, R.get_children_body(w.dir))
                self.assertEqual(hdr.err, R.OK)
                children = set(r.strings())
                # Asked after the listing: a delete sent since the kill may have applied.
                # (Deleted nodes coming back are checked by each writer when it re-attaches.)
                absent = set(nodes) - children
                missing = sorted(absent - w.deleted_since(absent))
                self.assertEqual(len(missing), 0, f"kill {kill + 1}: writer {w.index} lost "
                                 f"{len(missing)} acknowledged nodes, e.g. {missing[:10]}")
                checked += len(nodes)
                deleting = w.deleted_since(nodes)
                # The newest acknowledged values, read back exactly.
                recent = sorted(n for n in nodes if n not in deleting)[-20:]
                for name in recent:
                    hdr, r = conn.call(R.OP_GET_DATA, R.get_data_body(f"{w.dir}/{name}"))
                    self.assertEqual(hdr.err, R.OK, f"{w.dir}/{name}")
                    self.assertEqual(r.buffer(), nodes[name], f"{w.dir}/{name}")
                hdr, r = conn.call(R.OP_GET_DATA, R.get_data_body(w.counter))
                self.assertEqual(hdr.err, R.OK)
                r.buffer()
                self.assertGreaterEqual(r.stat().version, version,
                                        f"kill {kill + 1}: counter {w.counter} went back")
            conn.call(R.OP_CLOSE_SESSION)
        return checked

    def check_final(self, srv, writers):
        """Writers stopped: each folder holds exactly their nodes, each node its data."""
        checked = 0
        with self.verifier(srv) as conn:
            for w in writers:
                self.assertEqual((w.unknown_creates, w.unknown_seq, w.unknown_deletes,
                                  w.unknown_sets), ({}, set(), set(), {}),
                                 f"writer {w.index} ended with unresolved writes")
                hdr, r = conn.call(R.OP_GET_CHILDREN, R.get_children_body(w.dir))
                self.assertEqual(hdr.err, R.OK)
                self.assertEqual(set(r.strings()), set(w.nodes), f"{w.dir} differs")
                names = sorted(w.nodes)
                for start in range(0, len(names), 256):  # pipelined reads
                    part = names[start:start + 256]
                    for name in part:
                        conn.send_request(R.OP_GET_DATA, R.get_data_body(f"{w.dir}/{name}"))
                    for name in part:
                        hdr, r = conn.read_reply()
                        self.assertEqual(hdr.err, R.OK, f"{w.dir}/{name}")
                        self.assertEqual(r.buffer(), w.nodes[name], f"{w.dir}/{name}")
                        checked += 1
                hdr, r = conn.call(R.OP_GET_DATA, R.get_data_body(w.counter))
                self.assertEqual((r.buffer(), r.stat().version), (w.counter_data, w.counter_version))
                hdr, r = conn.call(R.OP_EXISTS, R.exists_body(w.eph))
                self.assertEqual(hdr.err, R.OK, f"{w.eph} of a live session is gone")
                self.assertEqual(r.stat().ephemeral_owner, w.session_id)
            conn.call(R.OP_CLOSE_SESSION)
        return checked


def main():
    global ARGS

    def extra(parser):
        parser.add_argument("--kills", type=int, default=20)
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--writers", type=int, default=4)
        parser.add_argument("--snap-count", type=int, default=2000,
                            help="snapCount, small so snapshots and purges happen between kills")

    ARGS, argv = integ_util.parse_args(__doc__.splitlines()[0], extra)
    unittest.main(module=__name__, argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
