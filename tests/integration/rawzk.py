"""A small raw ZooKeeper client-protocol codec for hand-made packets (stdlib only).

Big-endian jute: int = '>i', long = '>q', bool = one byte, buffer/string = int length
(-1 for null) then bytes, vector = int count then items. Every packet on the wire is a
4-byte length followed by that many bytes.

    c = RawConnection(port); c.handshake()
    xid = c.send_request(OP_GET_DATA, get_data_body("/a"))
    hdr, body = c.read_reply()          # hdr.xid == xid, hdr.err == 0

Only what the integration tests need is here; it trusts nothing the server sends
(every read is bounded by the frame it came in).
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
OP_CLOSE_SESSION = -11

# Create modes.
PERSISTENT = 0
EPHEMERAL = 1
PERSISTENT_SEQUENTIAL = 2
EPHEMERAL_SEQUENTIAL = 3

# Error codes (KeeperException.Code).
OK = 0
SYSTEM_ERROR = -1
MARSHALLING_ERROR = -5
UNIMPLEMENTED = -6
BAD_ARGUMENTS = -8
NO_NODE = -101
NO_AUTH = -102
BAD_VERSION = -103
NODE_EXISTS = -110
SESSION_EXPIRED = -112
INVALID_ACL = -114

PERM_ALL = 31
WORLD_ANYONE = [(PERM_ALL, "world", "anyone")]

DEFAULT_MAX_BUFFER = 0xFFFFF  # jute.maxbuffer's default, 1,048,575 bytes
PASSWD_BYTES = 16


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


def p_acls(acls):
    out = p_int(len(acls))
    for perms, scheme, ident in acls:
        out += p_int(perms) + p_string(scheme) + p_string(ident)
    return out


def frame(body):
    return p_int(len(body)) + body


def connect_body(timeout_ms=10000, session_id=0, passwd=b"\0" * PASSWD_BYTES, last_zxid=0,
                 read_only=False, protocol_version=0):
    return (p_int(protocol_version) + p_long(last_zxid) + p_int(timeout_ms) +
            p_long(session_id) + p_buffer(passwd) + p_bool(read_only))


def request(xid, op, body=b""):
    return frame(p_int(xid) + p_int(op) + body)


def create_body(path, data=b"", acls=WORLD_ANYONE, flags=PERSISTENT):
    return p_string(path) + p_buffer(data) + p_acls(acls) + p_int(flags)


def delete_body(path, version=-1):
    return p_string(path) + p_int(version)


def set_data_body(path, data, version=-1):
    return p_string(path) + p_buffer(data) + p_int(version)


def get_data_body(path, watch=False):
    return p_string(path) + p_bool(watch)


exists_body = get_data_body
get_children_body = get_data_body


def set_acl_body(path, acls, version=-1):
    return p_string(path) + p_acls(acls) + p_int(version)


# ---- decoding ----

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

    def stat(self):
        return Stat(czxid=self.long(), mzxid=self.long(), ctime=self.long(), mtime=self.long(),
                    version=self.int(), cversion=self.int(), aversion=self.int(),
                    ephemeral_owner=self.long(), data_length=self.int(),
                    num_children=self.int(), pzxid=self.long())

    def remaining(self):
        return len(self.data) - self.pos


Stat = collections.namedtuple(
    "Stat", "czxid mzxid ctime mtime version cversion aversion ephemeral_owner data_length "
            "num_children pzxid")
ReplyHeader = collections.namedtuple("ReplyHeader", "xid zxid err")
ConnectResponse = collections.namedtuple(
    "ConnectResponse", "protocol_version timeout_ms session_id passwd read_only")


def parse_connect_response(data):
    r = Reader(data)
    pv, timeout, sid, passwd = r.int(), r.int(), r.long(), r.buffer()
    ro = r.bool() if r.remaining() >= 1 else None
    return ConnectResponse(pv, timeout, sid, passwd, ro)


# ---- connection ----

class ConnectionClosed(Exception):
    """The server closed the connection (or it broke) before a whole frame arrived."""


class RawConnection:
    """One blocking TCP connection speaking raw frames. Every wait has a timeout."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = bytearray()
        self.next_xid = 1
        self.session_id = 0
        self.passwd = b"\0" * PASSWD_BYTES
        self.timeout_ms = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

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

    def read_frame(self, max_len=64 << 20):
        self._fill(4)
        n = struct.unpack(">i", bytes(self.buf[:4]))[0]
        if n < 0 or n > max_len:
            raise ValueError(f"bad frame length {n} from the server")
        self._fill(4 + n)
        body = bytes(self.buf[4:4 + n])
        del self.buf[:4 + n]
        return body

    def handshake(self, timeout_ms=10000, session_id=0, passwd=None, last_zxid=0):
        """Sends a connect request and returns the ConnectResponse (also kept on self)."""
        self.send_raw(frame(connect_body(timeout_ms, session_id,
                                         passwd if passwd is not None else b"\0" * PASSWD_BYTES,
                                         last_zxid)))
        resp = parse_connect_response(self.read_frame())
        self.session_id, self.passwd, self.timeout_ms = resp.session_id, resp.passwd, resp.timeout_ms
        return resp

    def send_request(self, op, body=b"", xid=None):
        if xid is None:
            xid = self.next_xid
            self.next_xid += 1
        self.send_raw(request(xid, op, body))
        return xid

    def read_reply(self):
        """Returns (ReplyHeader, Reader over the body); skips watch notifications (xid -1)."""
        while True:
            r = Reader(self.read_frame())
            hdr = ReplyHeader(r.int(), r.long(), r.int())
            if hdr.xid != -1:
                return hdr, r

    def call(self, op, body=b""):
        xid = self.send_request(op, body)
        hdr, r = self.read_reply()
        if hdr.xid != xid:
            raise ValueError(f"reply xid {hdr.xid}, expected {xid}")
        return hdr, r

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
