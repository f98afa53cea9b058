#!/usr/bin/env python3
"""Runs the client test binary against one real server, Conclave or Apache ZooKeeper, with
the same expectations for both.

The server comes from tests/harness/zkservers.py (free port, own data dir, ready via ruok).
Tests that need to kill, restart or freeze the server ask this runner over a pipe: the
binary gets --control-out (it writes one command a line: kill9, start, restart, sigstop,
sigcont) and --control-in (it reads "ok" or "error <why>" back). Restarts keep the port and
the data directory, so sessions and znodes survive as they would in production.
"""
import argparse
import os
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from zkservers import add_server_args, make_server  # noqa: E402

# Session timeouts the tests ask for lie in this range on both servers.
EXTRA_CFG = ["minSessionTimeout=1000", "maxSessionTimeout=30000", "extendedTypesEnabled=true"]
JAVA_PROPS = {"zookeeper.extendedTypesEnabled": "true"}


def serve_control(srv, cmd_r, ack_w):
    """Executes the binary's commands until it closes its end of the pipe."""
    with os.fdopen(cmd_r, "r") as cmds, os.fdopen(ack_w, "w") as acks:
        for line in cmds:
            cmd = line.strip()
            try:
                if cmd == "kill9":
                    srv.kill9()
                elif cmd == "start":
                    srv.start()
                elif cmd == "restart":
                    srv.kill9()
                    srv.start()
                elif cmd == "sigstop":
                    srv.proc.send_signal(signal.SIGSTOP)
                elif cmd == "sigcont":
                    srv.proc.send_signal(signal.SIGCONT)
                else:
                    raise ValueError(f"unknown command {cmd!r}")
                acks.write("ok\n")
            except Exception as e:  # the test reports it; the runner keeps serving
                acks.write(f"error {e}\n")
            acks.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_args(parser)
    parser.add_argument("--tests", required=True, help="path to client_server_tests")
    parser.add_argument("gtest_args", nargs="*")
    args = parser.parse_args()

    srv = make_server(args.server, binary=args.binary, extra_cfg=EXTRA_CFG, java_props=JAVA_PROPS)
    with srv:
        cmd_r, cmd_w = os.pipe()
        ack_r, ack_w = os.pipe()
        proc = subprocess.Popen(
            [args.tests, f"--hosts={srv.hosts}", f"--server-kind={args.server}",
             f"--control-out={cmd_w}", f"--control-in={ack_r}", *args.gtest_args],
            pass_fds=(cmd_w, ack_r))
        os.close(cmd_w)
        os.close(ack_r)
        control = threading.Thread(target=serve_control, args=(srv, cmd_r, ack_w), daemon=True)
        control.start()
        rc = proc.wait()
        # A test that failed while the server was frozen must not leave it stopped.
        if srv.alive():
            srv.proc.send_signal(signal.SIGCONT)
        if rc != 0:
            print(f"--- {args.server} log tail ---\n{srv.log_tail()}", file=sys.stderr)
        return rc


if __name__ == "__main__":
    sys.exit(main())
