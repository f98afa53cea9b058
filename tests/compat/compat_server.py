"""The one server configuration every compat test runs against, for either server kind."""
import base64
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

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
