"""A minimal raw ZooKeeper protocol client (jute over a socket) for the compat tests.

It exists for what no client library here exposes (kazoo 2.8 and the 3.8 C client lack
containers/TTL in kazoo, addWatch, multiRead, getEphemerals, getAllChildrenNumber, whoAmI,
removeWatches/checkWatches in kazoo) and for exact wire facts: reply-header zxids, the
notification header zxid, exactly which events arrive and in what order, the handshake
fields, and what the server does with bad input. Requests are synchronous; notifications
that arrive before a reply are collected in `events`, in order.
"""
import socket
import struct
import time

# Opcodes (ZooDefs.OpCode).
CREATE, DELETE, EXISTS, GET_DATA, SET_DATA, GET_ACL, SET_ACL, GET_CHILDREN, SYNC = 1, 2, 3, 4, 5, 6, 7, 8, 9
PING, GET_CHILDREN2, CHECK, MULTI, CREATE2, RECONFIG = 11, 12, 13, 14, 15, 16
CHECK_WATCHES, REMOVE_WATCHES, CREATE_CONTAINER, DELETE_CONTAINER, CREATE_TTL, MULTI_READ = 17, 18, 19, 20, 21, 22
AUTH, SET_WATCHES, GET_EPHEMERALS, GET_ALL_CHILDREN_NUMBER, SET_WATCHES2, ADD_WATCH, WHO_AM_I = 100, 101, 103, 104, 105, 106, 107
CLOSE_SESSION = -11
ERROR = -1

# Error codes (KeeperException.Code).
OK, SYSTEM_ERROR, RUNTIME_INCONSISTENCY, UNIMPLEMENTED, BAD_ARGUMENTS = 0, -1, -2, -6, -8
NO_NODE, NO_AUTH, BAD_VERSION, NO_CHILDREN_FOR_EPHEMERALS, NODE_EXISTS, NOT_EMPTY = -101, -102, -103, -108, -110, -111
SESSION_EXPIRED, INVALID_ACL, AUTH_FAILED, NO_WATCHER = -112, -114, -115, -121

# Event types (Watcher.Event.EventType).
NODE_CREATED, NODE_DELETED, NODE_DATA_CHANGED, NODE_CHILDREN_CHANGED = 1, 2, 3, 4

# CreateMode flags, watcher types, addWatch modes, permissions.
PERSISTENT, EPHEMERAL, PERSISTENT_SEQUENTIAL, EPHEMERAL_SEQUENTIAL = 0, 1, 2, 3
CONTAINER, PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL = 4, 5, 6
WT_CHILDREN, WT_DATA, WT_ANY, WT_PERSISTENT, WT_PERSISTENT_RECURSIVE = 1, 2, 3, 4, 5
ADD_WATCH_PERSISTENT, ADD_WATCH_PERSISTENT_RECURSIVE = 0, 1
PERM_READ, PERM_WRITE, PERM_CREATE, PERM_DELETE, PERM_ADMIN, PERM_ALL = 1, 2, 4, 8, 16, 31

OPEN_ACL = [(PERM_ALL, "world", "anyone")]

STAT_FIELDS = ("czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion",
               "ephemeralOwner", "dataLength", "numChildren", "pzxid")


class ConnectionClosed(Exception):
    pass


# ---- jute encoding ----

def i32(v):
    return struct.pack(">i", v)


def i64(v):
    return struct.pack(">q", v)


def boolean(v):
    return b"\x01" if v else b"\x00"


def ustring(s):
    if s is None:
        return i32(-1)
    b = s.encode() if isinstance(s, str) else s
    return i32(len(b)) + b


def buffer(b):
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def acl_vector(acls):
    out = i32(len(acls))
    for perms, scheme, ident in acls:
        out += i32(perms) + ustring(scheme) + ustring(ident)
    return out


def string_vector(items):
    out = i32(len(items))
    for s in items:
        out += ustring(s)
    return out


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError(f"truncated record: need {n} bytes at {self.pos} of {len(self.data)}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def boolean(self):
        return self.take(1) != b"\x00"

    def buffer(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def ustring(self):
        b = self.buffer()
        return None if b is None else b.decode()

    def stat(self):
        return dict(zip(STAT_FIELDS, [self.i64(), self.i64(), self.i64(), self.i64(), self.i32(),
                                      self.i32(), self.i32(), self.i64(), self.i32(), self.i32(),
                                      self.i64()]))

    def strings(self):
        n = self.i32()
        return [] if n < 0 else [self.ustring() for _ in range(n)]

    def acls(self):
        n = self.i32()
        return [(self.i32(), self.ustring(), self.ustring()) for _ in range(max(n, 0))]

    def at_end(self):
        return self.pos == len(self.data)


# ---- request bodies ----

def create_body(path, data=b"", acl=OPEN_ACL, flags=PERSISTENT, ttl=None):
    body = ustring(path) + buffer(data) + acl_vector(acl) + i32(flags)
    if ttl is not None:
        body += i64(ttl)
    return body


def path_watch_body(path, watch=False):
    return ustring(path) + boolean(watch)


def multi_body(ops):
    """ops: list of (opcode, body bytes)."""
    out = b""
    for op, body in ops:
        out += i32(op) + boolean(False) + i32(-1) + body
    return out + i32(-1) + boolean(True) + i32(-1)


class Reply:
    def __init__(self, xid, zxid, err, body):
        self.xid, self.zxid, self.err, self.body = xid, zxid, err, body

    def reader(self):
        return Reader(self.body)


class Event:
    def __init__(self, zxid, type_, state, path):
        self.zxid, self.type, self.state, self.path = zxid, type_, state, path

    def key(self):
        return (self.type, self.path)

    def __repr__(self):
        return f"Event(type={self.type}, path={self.path!r}, zxid={self.zxid:#x})"


class RawClient:
    """One session over one socket. connect() performs the handshake."""

    def __init__(self, port, timeout_ms=10000, session_id=0, passwd=b"\0" * 16,
                 last_zxid=0, read_only_byte=True, io_timeout_s=15.0):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=io_timeout_s)
        self.events = []
        self.xid = 0
        self.connect_response = None
        self._handshake(timeout_ms, session_id, passwd, last_zxid, read_only_byte)

    # ---- framing ----
    def _recv_exact(self, n):
        chunks = []
        while n > 0:
            b = self.sock.recv(n)
            if not b:
                raise ConnectionClosed("server closed the connection")
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def send_frame(self, body):
        self.sock.sendall(i32(len(body)) + body)

    def recv_frame(self):
        (n,) = struct.unpack(">i", self._recv_exact(4))
        return self._recv_exact(n)

    def _handshake(self, timeout_ms, session_id, passwd, last_zxid, read_only_byte):
        body = i32(0) + i64(last_zxid) + i32(timeout_ms) + i64(session_id) + buffer(passwd)
        if read_only_byte:
            body += boolean(False)
        self.send_frame(body)
        r = Reader(self.recv_frame())
        resp = {"protocolVersion": r.i32(), "timeOut": r.i32(), "sessionId": r.i64(),
                "passwd": r.buffer()}
        if not r.at_end():
            resp["readOnly"] = r.boolean()
        self.connect_response = resp
        self.session_id = resp["sessionId"]
        self.passwd = resp["passwd"]
        self.timeout_ms = resp["timeOut"]

    # ---- requests ----
    def _read_until(self, xid):
        while True:
            r = Reader(self.recv_frame())
            rxid, zxid, err = r.i32(), r.i64(), r.i32()
            if rxid == -1:
                self.events.append(Event(zxid, r.i32(), r.i32(), r.ustring()))
                continue
            if rxid == xid:
                return Reply(rxid, zxid, err, r.data[r.pos:])
            if rxid == -2:  # a ping reply we did not wait for
                continue
            raise AssertionError(f"unexpected reply xid {rxid} while waiting for {xid}")

    def request(self, opcode, body=b"", xid=None):
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.send_frame(i32(xid) + i32(opcode) + body)
        return self._read_until(xid)

    def wait_event(self, timeout_s=10.0):
        """Waits for the next notification (returns it, removed from `events`)."""
        deadline = time.monotonic() + timeout_s
        while not self.events:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no watch event within the deadline")
            self.sock.settimeout(left)
            try:
                r = Reader(self.recv_frame())
            finally:
                self.sock.settimeout(15.0)
            rxid, zxid, _err = r.i32(), r.i64(), r.i32()
            if rxid == -1:
                self.events.append(Event(zxid, r.i32(), r.i32(), r.ustring()))
        return self.events.pop(0)

    def take_events(self):
        """A read round trip first: events caused by earlier changes arrive before its reply."""
        self.ping()
        ev, self.events = self.events, []
        return ev

    def ping(self):
        return self.request(PING, xid=-2)

    # ---- operations (return the Reply; parsed helpers below) ----
    def create(self, path, data=b"", acl=OPEN_ACL, flags=PERSISTENT, opcode=CREATE, ttl=None):
        return self.request(opcode, create_body(path, data, acl, flags, ttl))

    def create2(self, path, data=b"", acl=OPEN_ACL, flags=PERSISTENT):
        return self.request(CREATE2, create_body(path, data, acl, flags))

    def create_container(self, path, data=b"", acl=OPEN_ACL):
        return self.request(CREATE_CONTAINER, create_body(path, data, acl, CONTAINER))

    def create_ttl(self, path, ttl_ms, data=b"", acl=OPEN_ACL, flags=PERSISTENT_WITH_TTL):
        return self.request(CREATE_TTL, create_body(path, data, acl, flags, ttl_ms))

    def delete(self, path, version=-1):
        return self.request(DELETE, ustring(path) + i32(version))

    def exists(self, path, watch=False):
        return self.request(EXISTS, path_watch_body(path, watch))

    def get_data(self, path, watch=False):
        return self.request(GET_DATA, path_watch_body(path, watch))

    def set_data(self, path, data, version=-1):
        return self.request(SET_DATA, ustring(path) + buffer(data) + i32(version))

    def get_children(self, path, watch=False):
        return self.request(GET_CHILDREN, path_watch_body(path, watch))

    def get_children2(self, path, watch=False):
        return self.request(GET_CHILDREN2, path_watch_body(path, watch))

    def get_acl(self, path):
        return self.request(GET_ACL, ustring(path))

    def set_acl(self, path, acl, version=-1):
        return self.request(SET_ACL, ustring(path) + acl_vector(acl) + i32(version))

    def sync(self, path):
        return self.request(SYNC, ustring(path))

    def check(self, path, version):
        return self.request(CHECK, ustring(path) + i32(version))

    def multi(self, ops):
        return self.request(MULTI, multi_body(ops))

    def multi_read(self, ops):
        return self.request(MULTI_READ, multi_body(ops))

    def add_watch(self, path, mode):
        return self.request(ADD_WATCH, ustring(path) + i32(mode))

    def check_watches(self, path, type_):
        return self.request(CHECK_WATCHES, ustring(path) + i32(type_))

    def remove_watches(self, path, type_):
        return self.request(REMOVE_WATCHES, ustring(path) + i32(type_))

    def set_watches(self, relative_zxid, data=(), exist=(), child=()):
        body = (i64(relative_zxid) + string_vector(list(data)) + string_vector(list(exist)) +
                string_vector(list(child)))
        return self.request(SET_WATCHES, body, xid=-8)

    def set_watches2(self, relative_zxid, data=(), exist=(), child=(), persistent=(),
                     persistent_recursive=()):
        body = (i64(relative_zxid) + string_vector(list(data)) + string_vector(list(exist)) +
                string_vector(list(child)) + string_vector(list(persistent)) +
                string_vector(list(persistent_recursive)))
        return self.request(SET_WATCHES2, body, xid=-8)

    def get_ephemerals(self, prefix):
        return self.request(GET_EPHEMERALS, ustring(prefix))

    def get_all_children_number(self, path):
        return self.request(GET_ALL_CHILDREN_NUMBER, ustring(path))

    def who_am_i(self):
        return self.request(WHO_AM_I)

    def add_auth(self, scheme, auth):
        return self.request(AUTH, i32(0) + ustring(scheme) + buffer(auth), xid=-4)

    def close_session(self):
        return self.request(CLOSE_SESSION)

    def drop(self):
        """Closes the socket without closing the session (as a crashed client would)."""
        try:
            self.sock.close()
        except OSError:
            pass

    def closed_by_server(self, timeout_s=10.0):
        """True once the server has closed the connection (EOF or reset) within the deadline."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return True
            if not data:
                return True
        return False


def parse_multi(body):
    """MultiResponse -> list of (type, err, record reader-parsed dict)."""
    r = Reader(body)
    results = []
    while True:
        type_, done, err = r.i32(), r.boolean(), r.i32()
        if done:
            break
        if type_ == ERROR:
            results.append(("error", r.i32()))
        elif type_ in (CREATE,):
            results.append(("create", r.ustring()))
        elif type_ in (CREATE2, CREATE_CONTAINER, CREATE_TTL):
            results.append(("create2", r.ustring(), r.stat()))
        elif type_ == SET_DATA:
            results.append(("setData", r.stat()))
        elif type_ in (DELETE, CHECK):
            results.append(("delete" if type_ == DELETE else "check",))
        elif type_ == GET_DATA:
            results.append(("getData", r.buffer(), r.stat()))
        elif type_ == GET_CHILDREN:
            results.append(("getChildren", r.strings()))
        else:
            raise AssertionError(f"unexpected multi result type {type_}")
    assert r.at_end(), "bytes after the multi terminator"
    return results
