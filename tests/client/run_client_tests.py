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
import json
import tempfile
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
    args.json_path = os.path.join(tempfile.mkdtemp(prefix="client-tests-"), "report.json")

    rc = run_once(args, args.gtest_args)
    if rc != 0 and args.server == "zookeeper":
        # KNOWN FLAKE (issue 3, open): against ZooKeeper 3.8, a re-attach after a kill -9 restart
        # sometimes never succeeds within the session timeout (2 of 6 full CI runs; never against
        # Conclave). Until it is understood, the failed tests get one more run, on a fresh server,
        # and the runner says so loudly.
        failed = failed_tests(args.json_path)
        if failed:
            print(f"RETRYING against ZooKeeper once (known flake, issue 3): {failed}",
                  file=sys.stderr)
            rc = run_once(args, [a for a in args.gtest_args if not a.startswith("--gtest_filter")]
                          + ["--gtest_filter=" + ":".join(failed)], record=False)
    return rc


def failed_tests(json_path):
    """Names of the failed tests in a --gtest_output=json report ([] if unreadable)."""
    try:
        with open(json_path) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return []
    return [f"{suite['name']}.{t['name']}" for suite in report.get("testsuites", [])
            for t in suite.get("testsuite", []) if t.get("failures")]


def run_once(args, gtest_args, record=True):
    if record:
        gtest_args = list(gtest_args) + [f"--gtest_output=json:{args.json_path}"]
    srv = make_server(args.server, binary=args.binary, extra_cfg=EXTRA_CFG, java_props=JAVA_PROPS)
    with srv:
        cmd_r, cmd_w = os.pipe()
        ack_r, ack_w = os.pipe()
        proc = subprocess.Popen(
            [args.tests, f"--hosts={srv.hosts}", f"--server-kind={args.server}",
             f"--control-out={cmd_w}", f"--control-in={ack_r}", *gtest_args],
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
