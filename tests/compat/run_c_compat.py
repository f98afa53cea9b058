#!/usr/bin/python3
"""Starts a server (Conclave or Apache ZooKeeper) with the compat configuration and runs the
C-client compat program against it; exits with the program's status.

    run_c_compat.py --server zookeeper --program build/tests/compat/c_client_compat
    run_c_compat.py --server conclave --binary build/server/conclave-server --program ...
"""
import argparse
import subprocess
import sys

from compat_server import (MAX_SESSION_TIMEOUT_MS, MIN_SESSION_TIMEOUT_MS, SERVER_KINDS,
                           SUPER_PASSWORD, make_compat_target)

PROGRAM_TIMEOUT_S = 300


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", choices=SERVER_KINDS, required=True)
    parser.add_argument("--binary", help="path to conclave-server (for --server conclave*)")
    parser.add_argument("--program", required=True, help="path to c_client_compat")
    parser.add_argument("only", nargs="*", help="run only these tests")
    args = parser.parse_args()
    if args.server.startswith("conclave") and not args.binary:
        parser.error("--binary is required with --server conclave*")
    with make_compat_target(args.server, args.binary) as srv:
        kind = "conclave" if args.server.startswith("conclave") else args.server
        cmd = [args.program, "--hosts", srv.hosts, "--server", kind,
               "--super-password", SUPER_PASSWORD,
               "--min-timeout", str(MIN_SESSION_TIMEOUT_MS),
               "--max-timeout", str(MAX_SESSION_TIMEOUT_MS), *args.only]
        try:
            rc = subprocess.run(cmd, timeout=PROGRAM_TIMEOUT_S).returncode
        except subprocess.TimeoutExpired:
            print(f"c_client_compat did not finish within {PROGRAM_TIMEOUT_S}s", flush=True)
            rc = 1
        if rc != 0:
            print(f"--- server log tail ---\n{srv.log_tail()}", flush=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
