"""Helpers shared by the integration scripts (stdlib only; kazoo is imported by the scripts)."""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))

from zkservers import add_server_args, four_letter_word, make_server  # noqa: E402,F401

SERVING_TIMEOUT_S = 60


def parse_args(description, extra=None):
    """--server/--binary as the harness defines them, plus script options; the rest goes to
    unittest (so `-v` or a test name can be passed through)."""
    parser = argparse.ArgumentParser(description=description)
    add_server_args(parser)
    if extra:
        extra(parser)
    args, rest = parser.parse_known_args()
    if args.server == "conclave" and not args.binary:
        parser.error("--server conclave needs --binary")
    return args, [sys.argv[0]] + rest


def wait_serving(srv, timeout=SERVING_TIMEOUT_S):
    """Waits until the server serves sessions, not just `ruok`: ZooKeeper answers `imok` before
    its ZooKeeperServer runs and closes client connections until then; `srvr` reports a Zxid
    only once it serves."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not srv.alive():
            raise RuntimeError(f"{srv.kind} exited; log:\n{srv.log_tail()}")
        if "Zxid:" in four_letter_word(srv.port, "srvr", timeout=1.0):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{srv.kind} not serving after {timeout}s; log:\n{srv.log_tail()}")


def rss_kb(pid):
    """Resident set size of a process in KiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls `predicate` until it returns a true value (returned) or raises on the deadline."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - retried until the deadline, then reported
            last_exc = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f" (last error: {last_exc!r})" if last_exc else ""))


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def sanitizer_reports(srv):
    """Lines of the server's log where ASan/UBSan reported something (for sanitizer builds)."""
    try:
        with open(srv.log_path, errors="replace") as f:
            return [line.rstrip() for line in f if any(m in line for m in SANITIZER_MARKERS)]
    except OSError:
        return []
