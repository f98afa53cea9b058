"""The one server configuration every compat test runs against, for either server kind."""
import base64
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

from zkensemble import Ensemble  # noqa: E402
from zkservers import make_server  # noqa: E402

TICK_MS = 500
MIN_SESSION_TIMEOUT_MS = 1000
MAX_SESSION_TIMEOUT_MS = 8000
JUTE_MAX_BUFFER = 1048575  # the default of both servers
SUPER_PASSWORD = "super-secret"
SUPER_DIGEST = base64.b64encode(
    hashlib.sha1(f"super:{SUPER_PASSWORD}".encode()).digest()).decode()


def server_config():
    return [
        f"minSessionTimeout={MIN_SESSION_TIMEOUT_MS}",
        f"maxSessionTimeout={MAX_SESSION_TIMEOUT_MS}",
        "extendedTypesEnabled=true",
        f"DigestAuthenticationProvider.superDigest=super:{SUPER_DIGEST}",
    ]


def make_compat_server(kind, binary=None):
    # ZooKeeper's container/TTL reaper runs every minute by default and reads its interval
    # from a JVM property (not zoo.cfg); Conclave reaps every tick.
    return make_server(kind, binary=binary, extra_cfg=server_config(), tick_ms=TICK_MS,
                       java_props={"znode.container.checkIntervalMs": "100"})


class EnsembleUnderTest:
    """A 3-member Conclave ensemble with the compat configuration, seen through one FOLLOWER:
    every write, connect, close and sync of the tests is forwarded to the leader and answered
    from what commits -- the same expectations as against one server."""

    kind = "conclave"

    def __init__(self, binary):
        self.ensemble = Ensemble(binary, participants=3, tick_ms=TICK_MS,
                                 extra_cfg=server_config())
        self.member = None

    def start(self):
        self.ensemble.start()
        view = self.ensemble.wait_stable()
        self.member = self.ensemble.members[view.followers[0]]
        return self

    @property
    def port(self):
        return self.member.client_port

    @property
    def hosts(self):
        return f"127.0.0.1:{self.port}"

    def log_tail(self, lines=40):
        return "\n".join(f"--- member {m.id} ---\n{m.log_tail(lines)}"
                         for m in self.ensemble.members.values())

    def cleanup(self):
        reports = self.ensemble.cleanup()
        if reports:
            raise RuntimeError(f"sanitizer reports from members: {reports}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


SERVER_KINDS = ["conclave", "zookeeper", "conclave-ensemble"]


def make_compat_target(kind, binary=None):
    """`kind`: conclave, zookeeper (one standalone server each) or conclave-ensemble."""
    if kind == "conclave-ensemble":
        return EnsembleUnderTest(binary)
    return make_compat_server(kind, binary)
