"""A raw ZooKeeper client-protocol codec and client for hand-made packets (stdlib only).

Shared by the compat tests (tests/compat) and the integration tests (tests/integration). It
exists for what no client library here exposes (kazoo 2.8 and the 3.8 C client lack
containers/TTL in kazoo, addWatch, multiRead, getEphemerals, getAllChildrenNumber, whoAmI,
removeWatches/checkWatches in kazoo), for exact wire facts (reply-header zxids, the
notification header zxid, which events arrive and in what order, the handshake fields), for
what the server does with bad input, and for pipelined requests.

Big-endian jute: int = '>i', long = '>q', bool = one byte, buffer/string = int length
(-1 for null) then bytes, vector = int count then items. Every packet on the wire is a
4-byte length followed by that many bytes.

    c = RawConnection(port); c.handshake()
    c.create("/a", b"x").err                       # one synchronous request -> Reply
    reply, r = c.call(OP_GET_DATA, get_data_body("/a"))   # ... with a Reader over the body
    xid = c.send_request(OP_EXISTS, exists_body("/a"))    # pipelined: send now,
    reply, r = c.read_reply()                             # read in order later

Notifications (xid -1) that arrive before a reply are collected in `events`, in order. It
trusts nothing the server sends: every read is bounded by the frame it came in, frames by a
maximum length, and every wait by a timeout.
"""
import collections
import socket
import struct
import time

# Opcodes (ZooDefs.OpCode).
OP_CREATE = 1
OP_DELETE = 2
OP_EXISTS = 3
OP_GET_DATA = 4
OP_SET_DATA = 5
OP_GET_ACL = 6
OP_SET_ACL = 7
OP_GET_CHILDREN = 8
OP_SYNC = 9
OP_PING = 11
OP_GET_CHILDREN2 = 12
OP_CHECK = 13
OP_MULTI = 14
OP_CREATE2 = 15
OP_RECONFIG = 16
OP_CHECK_WATCHES = 17
OP_REMOVE_WATCHES = 18
OP_CREATE_CONTAINER = 19
OP_DELETE_CONTAINER = 20
OP_CREATE_TTL = 21
OP_MULTI_READ = 22
OP_AUTH = 100
OP_SET_WATCHES = 101
OP_GET_EPHEMERALS = 103
OP_GET_ALL_CHILDREN_NUMBER = 104
OP_SET_WATCHES2 = 105
OP_ADD_WATCH = 106
OP_WHO_AM_I = 107
OP_CLOSE_SESSION = -11
OP_ERROR = -1  # the type of a failed op's result in a multi reply

# Reserved xids.
XID_NOTIFICATION = -1
XID_PING = -2
XID_AUTH = -4
XID_SET_WATCHES = -8

# Create modes.
PERSISTENT = 0
EPHEMERAL = 1
PERSISTENT_SEQUENTIAL = 2
EPHEMERAL_SEQUENTIAL = 3
CONTAINER = 4
PERSISTENT_WITH_TTL = 5
PERSISTENT_SEQUENTIAL_WITH_TTL = 6

# Error codes (KeeperException.Code).
OK = 0
SYSTEM_ERROR = -1
RUNTIME_INCONSISTENCY = -2
MARSHALLING_ERROR = -5
UNIMPLEMENTED = -6
BAD_ARGUMENTS = -8
NO_NODE = -101
NO_AUTH = -102
BAD_VERSION = -103
NO_CHILDREN_FOR_EPHEMERALS = -108
NODE_EXISTS = -110
NOT_EMPTY = -111
SESSION_EXPIRED = -112
INVALID_ACL = -114
AUTH_FAILED = -115
NO_WATCHER = -121

# Event types (Watcher.Event.EventType).
NODE_CREATED = 1
NODE_DELETED = 2
NODE_DATA_CHANGED = 3
NODE_CHILDREN_CHANGED = 4

# Watcher types (checkWatches/removeWatches) and addWatch modes.
WT_CHILDREN = 1
WT_DATA = 2
WT_ANY = 3
WT_PERSISTENT = 4
WT_PERSISTENT_RECURSIVE = 5
ADD_WATCH_PERSISTENT = 0
ADD_WATCH_PERSISTENT_RECURSIVE = 1

# Permissions.
PERM_READ = 1
PERM_WRITE = 2
PERM_CREATE = 4
PERM_DELETE = 8
PERM_ADMIN = 16
PERM_ALL = 31
WORLD_ANYONE = [(PERM_ALL, "world", "anyone")]

DEFAULT_MAX_BUFFER = 0xFFFFF  # jute.maxbuffer's default, 1,048,575 bytes
PASSWD_BYTES = 16
MAX_FRAME = 64 << 20  # the longest frame read_frame accepts from the server


# ---- encoding ----

def p_int(v):
    return struct.pack(">i", v)


def p_long(v):
    return struct.pack(">q", v)


def p_bool(v):
    return b"\x01" if v else b"\x00"


def p_buffer(b):
    if b is None:
        return p_int(-1)
    return p_int(len(b)) + b


def p_string(s):
    if s is None:
        return p_int(-1)
    if isinstance(s, str):
        s = s.encode()
    return p_buffer(s)


def p_strings(items):
    items = list(items)
    return p_int(len(items)) + b"".join(p_string(s) for s in items)


def p_acls(acls):
    out = p_int(len(acls))
    for perms, scheme, ident in acls:
        out += p_int(perms) + p_string(scheme) + p_string(ident)
    return out


def frame(body):
    return p_int(len(body)) + body


def connect_body(timeout_ms=10000, session_id=0, passwd=b"\0" * PASSWD_BYTES, last_zxid=0,
                 read_only=False, protocol_version=0):
    """read_only=None leaves the readOnly byte out (the 44-byte request of an old client)."""
    body = (p_int(protocol_version) + p_long(last_zxid) + p_int(timeout_ms) +
            p_long(session_id) + p_buffer(passwd))
    return body if read_only is None else body + p_bool(read_only)


def request(xid, op, body=b""):
    """A whole framed request: header (xid, op) and body."""
    return frame(p_int(xid) + p_int(op) + body)


def create_body(path, data=b"", acls=WORLD_ANYONE, flags=PERSISTENT, ttl=None):
    """create/create2/createContainer; with ttl, createTTL (CreateTTLRequest)."""
    body = p_string(path) + p_buffer(data) + p_acls(acls) + p_int(flags)
    return body if ttl is None else body + p_long(ttl)


def delete_body(path, version=-1):
    return p_string(path) + p_int(version)


def set_data_body(path, data, version=-1):
    return p_string(path) + p_buffer(data) + p_int(version)


def get_data_body(path, watch=False):
    return p_string(path) + p_bool(watch)


exists_body = get_data_body
get_children_body = get_data_body
check_body = delete_body  # CheckVersionRequest has DeleteRequest's fields


def set_acl_body(path, acls, version=-1):
    return p_string(path) + p_acls(acls) + p_int(version)


def multi_body(ops):
    """ops: list of (opcode, body bytes); the MultiHeader terminator is added."""
    out = b""
    for op, body in ops:
        out += p_int(op) + p_bool(False) + p_int(-1) + body
    return out + p_int(-1) + p_bool(True) + p_int(-1)


# ---- decoding ----

Stat = collections.namedtuple(
    "Stat", "czxid mzxid ctime mtime version cversion aversion ephemeral_owner data_length "
            "num_children pzxid")
ConnectResponse = collections.namedtuple(
    "ConnectResponse", "protocol_version timeout_ms session_id passwd read_only")


class Reader:
    """Reads jute values from one frame; running past its end raises ValueError."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"read of {n} bytes at {self.pos} past the frame ({len(self.data)})")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def long(self):
        return struct.unpack(">q", self.take(8))[0]

    def bool(self):
        return self.take(1) != b"\x00"

    def buffer(self):
        n = self.int()
        return None if n == -1 else self.take(n)

    def string(self):
        b = self.buffer()
        return None if b is None else b.decode()

    def strings(self):
        n = self.int()
        if n == -1:
            return None
        return [self.string() for _ in range(n)]

    def acls(self):
        n = self.int()
        if n == -1:
            return None
        return [(self.int(), self.string(), self.string()) for _ in range(n)]

    def stat(self):
        return Stat(czxid=self.long(), mzxid=self.long(), ctime=self.long(), mtime=self.long(),
                    version=self.int(), cversion=self.int(), aversion=self.int(),
                    ephemeral_owner=self.long(), data_length=self.int(),
                    num_children=self.int(), pzxid=self.long())

    def remaining(self):
        return len(self.data) - self.pos

    def at_end(self):
        return self.pos == len(self.data)


class Reply(collections.namedtuple("Reply", "xid zxid err body")):
    """A reply header and the body after it."""

    def reader(self):
        return Reader(self.body)


class Event(collections.namedtuple("Event", "zxid type state path")):
    """A watch notification."""

    def key(self):
        return (self.type, self.path)

    def __repr__(self):
        return f"Event(type={self.type}, path={self.path!r}, zxid={self.zxid:#x})"


def parse_connect_response(data):
    r = Reader(data)
    pv, timeout, sid, passwd = r.int(), r.int(), r.long(), r.buffer()
    ro = r.bool() if r.remaining() >= 1 else None
    return ConnectResponse(pv, timeout, sid, passwd, ro)


def parse_reply(data):
    """A reply frame -> Reply (a notification is one too: xid -1, its body a WatcherEvent)."""
    r = Reader(data)
    xid, zxid, err = r.int(), r.long(), r.int()
    return Reply(xid, zxid, err, data[r.pos:])


def parse_event(reply):
    r = reply.reader()
    return Event(reply.zxid, r.int(), r.int(), r.string())


def parse_multi(body):
    """MultiResponse -> list of tuples: ("error", err), ("create", path),
    ("create2", path, Stat), ("setData", Stat), ("delete",), ("check",),
    ("getData", data, Stat), ("getChildren", names)."""
    r = Reader(body)
    results = []
    while True:
        type_, done, _ = r.int(), r.bool(), r.int()
        if done:
            break
        if type_ == OP_ERROR:
            results.append(("error", r.int()))
        elif type_ == OP_CREATE:
            results.append(("create", r.string()))
        elif type_ in (OP_CREATE2, OP_CREATE_CONTAINER, OP_CREATE_TTL):
            results.append(("create2", r.string(), r.stat()))
        elif type_ == OP_SET_DATA:
            results.append(("setData", r.stat()))
        elif type_ == OP_DELETE:
            results.append(("delete",))
        elif type_ == OP_CHECK:
            results.append(("check",))
        elif type_ == OP_GET_DATA:
            results.append(("getData", r.buffer(), r.stat()))
        elif type_ == OP_GET_CHILDREN:
            results.append(("getChildren", r.strings()))
        else:
            raise AssertionError(f"unexpected multi result type {type_}")
    assert r.at_end(), "bytes after the multi terminator"
    return results


# ---- connection ----

class ConnectionClosed(Exception):
    """The server closed the connection (or it broke) before a whole frame arrived."""


class RawConnection:
    """One blocking TCP connection speaking raw frames; one session once handshake() ran.
    Every wait has a timeout (`timeout` seconds unless a call says otherwise)."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = bytearray()
        self.next_xid = 1
        self.events = []
        self.connect_response = None
        self.session_id = 0
        self.passwd = b"\0" * PASSWD_BYTES
        self.timeout_ms = 0

    def close(self):
        """Closes the socket without closing the session (as a crashed client would)."""
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- framing ----

    def send_raw(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ConnectionClosed(f"send failed: {e}") from e

    def _fill(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(max(65536, n - len(self.buf)))
            except socket.timeout:
                raise
            except OSError as e:
                raise ConnectionClosed(f"recv failed: {e}") from e
            if not chunk:
                raise ConnectionClosed(f"closed by the server with {len(self.buf)} bytes pending")
            self.buf += chunk

    def read_frame(self, max_len=MAX_FRAME):
        self._fill(4)
        n = struct.unpack(">i", bytes(self.buf[:4]))[0]
        if n < 0 or n > max_len:
            raise ValueError(f"bad frame length {n} from the server")
        self._fill(4 + n)
        body = bytes(self.buf[4:4 + n])
        del self.buf[:4 + n]
        return body

    # ---- session ----

    def handshake(self, timeout_ms=10000, session_id=0, passwd=None, last_zxid=0, read_only=False):
        """Sends a connect request and returns the ConnectResponse (also kept on self).
        read_only=None sends the old 44-byte request without the readOnly byte."""
        self.send_raw(frame(connect_body(timeout_ms, session_id,
                                         passwd if passwd is not None else b"\0" * PASSWD_BYTES,
                                         last_zxid, read_only)))
        resp = parse_connect_response(self.read_frame())
        self.connect_response = resp
        self.session_id, self.passwd = resp.session_id, resp.passwd
        self.timeout_ms = resp.timeout_ms
        return resp

    # ---- requests ----

    def send_request(self, op, body=b"", xid=None):
        """Sends one request without waiting; returns its xid."""
        if xid is None:
            xid = self.next_xid
            self.next_xid += 1
        self.send_raw(request(xid, op, body))
        return xid

    def read_reply(self):
        """Returns (Reply, Reader over its body) for the next reply; notifications (xid -1)
        that come first are appended to `events`."""
        while True:
            reply = parse_reply(self.read_frame())
            if reply.xid != XID_NOTIFICATION:
                return reply, reply.reader()
            self.events.append(parse_event(reply))

    def call(self, op, body=b"", xid=None):
        """One synchronous request: returns (Reply, Reader over its body). A ping reply not
        asked for is skipped; any other reply out of turn raises ValueError."""
        xid = self.send_request(op, body, xid)
        while True:
            reply, r = self.read_reply()
            if reply.xid == xid:
                return reply, r
            if reply.xid != XID_PING:
                raise ValueError(f"reply xid {reply.xid}, expected {xid}")

    def expect_closed(self, timeout=10.0):
        """True if the server closes the connection within `timeout` (replies are discarded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                return True
            if not chunk:
                return True
        self.sock.settimeout(self.timeout)
        return False

    # ---- watch notifications ----

    def wait_event(self, timeout=10.0):
        """Waits for the next notification (returns it, removed from `events`). Frames other
        than notifications that arrive meanwhile are discarded."""
        deadline = time.monotonic() + timeout
        while not self.events:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no watch event within the deadline")
            self.sock.settimeout(left)
            try:
                reply = parse_reply(self.read_frame())
            except socket.timeout:
                raise AssertionError("no watch event within the deadline") from None
            finally:
                self.sock.settimeout(self.timeout)
            if reply.xid == XID_NOTIFICATION:
                self.events.append(parse_event(reply))
        return self.events.pop(0)

    def take_events(self):
        """A round trip first: events caused by earlier changes arrive before its reply."""
        self.ping()
        ev, self.events = self.events, []
        return ev

    # ---- operations: each returns the Reply (reply.reader() parses its body) ----

    def _op(self, op, body=b"", xid=None):
        return self.call(op, body, xid)[0]

    def ping(self):
        return self._op(OP_PING, xid=XID_PING)

    def create(self, path, data=b"", acls=WORLD_ANYONE, flags=PERSISTENT, op=OP_CREATE,
               ttl=None):
        return self._op(op, create_body(path, data, acls, flags, ttl))

    def create2(self, path, data=b"", acls=WORLD_ANYONE, flags=PERSISTENT):
        return self._op(OP_CREATE2, create_body(path, data, acls, flags))

    def create_container(self, path, data=b"", acls=WORLD_ANYONE):
        return self._op(OP_CREATE_CONTAINER, create_body(path, data, acls, CONTAINER))

    def create_ttl(self, path, ttl_ms, data=b"", acls=WORLD_ANYONE, flags=PERSISTENT_WITH_TTL):
        return self._op(OP_CREATE_TTL, create_body(path, data, acls, flags, ttl_ms))

    def delete(self, path, version=-1):
        return self._op(OP_DELETE, delete_body(path, version))

    def exists(self, path, watch=False):
        return self._op(OP_EXISTS, exists_body(path, watch))

    def get_data(self, path, watch=False):
        return self._op(OP_GET_DATA, get_data_body(path, watch))

    def set_data(self, path, data, version=-1):
        return self._op(OP_SET_DATA, set_data_body(path, data, version))

    def get_children(self, path, watch=False):
        return self._op(OP_GET_CHILDREN, get_children_body(path, watch))

    def get_children2(self, path, watch=False):
        return self._op(OP_GET_CHILDREN2, get_children_body(path, watch))

    def get_acl(self, path):
        return self._op(OP_GET_ACL, p_string(path))

    def set_acl(self, path, acls, version=-1):
        return self._op(OP_SET_ACL, set_acl_body(path, acls, version))

    def sync(self, path):
        return self._op(OP_SYNC, p_string(path))

    def check(self, path, version):
        return self._op(OP_CHECK, check_body(path, version))

    def multi(self, ops):
        return self._op(OP_MULTI, multi_body(ops))

    def multi_read(self, ops):
        return self._op(OP_MULTI_READ, multi_body(ops))

    def add_watch(self, path, mode):
        return self._op(OP_ADD_WATCH, p_string(path) + p_int(mode))

    def check_watches(self, path, type_):
        return self._op(OP_CHECK_WATCHES, p_string(path) + p_int(type_))

    def remove_watches(self, path, type_):
        return self._op(OP_REMOVE_WATCHES, p_string(path) + p_int(type_))

    def set_watches(self, relative_zxid, data=(), exist=(), child=()):
        body = p_long(relative_zxid) + p_strings(data) + p_strings(exist) + p_strings(child)
        return self._op(OP_SET_WATCHES, body, xid=XID_SET_WATCHES)

    def set_watches2(self, relative_zxid, data=(), exist=(), child=(), persistent=(),
                     persistent_recursive=()):
        body = (p_long(relative_zxid) + p_strings(data) + p_strings(exist) + p_strings(child) +
                p_strings(persistent) + p_strings(persistent_recursive))
        return self._op(OP_SET_WATCHES2, body, xid=XID_SET_WATCHES)

    def get_ephemerals(self, prefix):
        return self._op(OP_GET_EPHEMERALS, p_string(prefix))

    def get_all_children_number(self, path):
        return self._op(OP_GET_ALL_CHILDREN_NUMBER, p_string(path))

    def who_am_i(self):
        return self._op(OP_WHO_AM_I)

    def add_auth(self, scheme, auth):
        return self._op(OP_AUTH, p_int(0) + p_string(scheme) + p_buffer(auth), xid=XID_AUTH)

    def close_session(self):
        return self._op(OP_CLOSE_SESSION)
