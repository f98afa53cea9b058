#!/usr/bin/env python3
"""Drives the real conclave-cli binary against one real server, Conclave or Apache ZooKeeper,
with the same expected output for both.

Scripted: one command per process (`conclave-cli -server h:p CMD ARGS`), scripts on standard
input, --output json, exit statuses, and the connection dropping and coming back.
Interactive: through tmux (a real terminal): typing, tab completion of a command and a path,
a watch event arriving while a partial line is typed (the line must survive, redrawn under
the event), history across two runs, Ctrl-C, quit and Ctrl-D.

Every wait is a poll against a deadline; nothing sleeps and hopes.

    run_shell_tests.py --server conclave --binary build/server/conclave-server --cli build/.../conclave-cli
    run_shell_tests.py --server zookeeper --cli ... [-k interactive] [--transcript FILE]
"""
import argparse
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from zkservers import add_server_args, make_server  # noqa: E402

EXTRA_CFG = ["extendedTypesEnabled=true"]
JAVA_PROPS = {"zookeeper.extendedTypesEnabled": "true"}
# One CLI process may take this long (connecting included) before the test calls it hung.
CLI_TIMEOUT_S = 60
# How long a condition (text on the screen, a line of output) may take to appear.
WAIT_S = 20
# The terminal tmux gives the shell.
TERM_COLS, TERM_ROWS = 120, 50

STAT_TEMPLATE = """cZxid = <zxid>
ctime = <time>
mZxid = <zxid>
mtime = <time>
pZxid = <zxid>
cversion = {cversion}
dataVersion = {version}
aclVersion = {aversion}
ephemeralOwner = {owner}
dataLength = {length}
numChildren = {children}
"""


def stat(version=0, cversion=0, aversion=0, owner="0x0", length=0, children=0):
    return STAT_TEMPLATE.format(version=version, cversion=cversion, aversion=aversion, owner=owner,
                                length=length, children=children)


def norm(text):
    """Replaces what differs between runs and servers: times, zxids, session ids."""
    text = re.sub(r"^(ctime|mtime) = .*$", r"\1 = <time>", text, flags=re.M)
    text = re.sub(r"^(cZxid|mZxid|pZxid) = 0x[0-9a-f]+$", r"\1 = <zxid>", text, flags=re.M)
    text = re.sub(r"^ephemeralOwner = 0x[0-9a-f]*[1-9a-f][0-9a-f]*$", "ephemeralOwner = <session>",
                  text, flags=re.M)
    return text


class Failure(Exception):
    pass


def check_eq(what, got, want):
    if got != want:
        raise Failure(f"{what}:\n--- got ---\n{got!r}\n--- want ---\n{want!r}")


def wait_for(what, predicate, timeout=WAIT_S, describe=None):
    """Polls `predicate` until it is true or the deadline passes; `describe()` adds the state
    seen at the deadline to the failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    state = f"; now:\n{describe()}" if describe else ""
    raise Failure(f"timed out after {timeout}s waiting for {what}{state}")


class Env:
    def __init__(self, cli, srv, kind):
        self.cli = cli
        self.srv = srv
        self.kind = kind
        self.home = tempfile.mkdtemp(prefix="shell-test-home-")
        self.transcript = ""

    @property
    def hosts(self):
        return self.srv.hosts

    def env(self):
        e = dict(os.environ)
        e["HOME"] = self.home
        e["TZ"] = "UTC"
        e.pop("CONCLAVE_CLI_HISTORY", None)
        return e

    def run(self, *args, stdin=None, server=True):
        cmd = [self.cli] + (["-server", self.hosts] if server else []) + list(args)
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                           timeout=CLI_TIMEOUT_S, env=self.env())
        return p.returncode, p.stdout, p.stderr

    def expect(self, args, out="", err="", rc=0, stdin=None):
        got_rc, got_out, got_err = self.run(*args, stdin=stdin)
        what = " ".join(args) if stdin is None else f"script {stdin!r}"
        check_eq(f"stdout of {what}", norm(got_out), out)
        check_eq(f"stderr of {what}", got_err, err)
        check_eq(f"exit status of {what}", got_rc, rc)

    def json(self, *args, stdin=None, rc=0):
        got_rc, out, err = self.run("--output", "json", *args, stdin=stdin)
        check_eq(f"stderr of json {args}", err, "")
        check_eq(f"exit status of json {args}", got_rc, rc)
        return [json.loads(line) for line in out.splitlines()]


# ---------------------------------------------------------------- scripted, one command each

def test_nodes_one_command_each(env):
    env.expect(["create", "/n", "hello"], out="Created /n\n")
    env.expect(["get", "/n"], out="hello\n")
    env.expect(["get", "-s", "/n"], out="hello\n" + stat(length=5))
    env.expect(["set", "/n", "hello world"], out="")
    env.expect(["set", "-s", "/n", "v2"], out=stat(version=2, length=2))
    env.expect(["stat", "/n"], out=stat(version=2, length=2))
    env.expect(["create", "/n/b"], out="Created /n/b\n")
    env.expect(["create", "/n/a", "x"], out="Created /n/a\n")
    env.expect(["ls", "/n"], out="[a, b]\n")
    env.expect(["ls", "-s", "/n"], out="[a, b]\n" + stat(version=2, cversion=2, length=2,
                                                         children=2))
    env.expect(["create", "/n/a/deep"], out="Created /n/a/deep\n")
    env.expect(["ls", "-R", "/n"], out="/n\n/n/a\n/n/b\n/n/a/deep\n")
    env.expect(["getAllChildrenNumber", "/n"], out="3\n")
    env.expect(["sync", "/n"], out="Sync is OK\n")
    env.expect(["delete", "/n/b"], out="")
    env.expect(["delete", "-v", "0", "/n/a/deep"], out="")


def test_errors_read_like_sentences(env):
    env.expect(["get", "/nope"], err="Node does not exist: /nope\n", rc=1)
    env.expect(["ls", "/nope"], err="Node does not exist: /nope\n", rc=1)
    env.expect(["stat", "/nope"], err="Node does not exist: /nope\n", rc=1)
    env.expect(["create", "/e1"], out="Created /e1\n")
    env.expect(["create", "/e1"], err="Node already exists: /e1\n", rc=1)
    env.expect(["create", "/e1/c"], out="Created /e1/c\n")
    env.expect(["delete", "/e1"], err="Node not empty: /e1\n", rc=1)
    env.expect(["set", "-v", "7", "/e1", "x"], err="Version does not match: /e1\n", rc=1)
    env.expect(["create", "/nope/child"], err="Node does not exist: /nope/child\n", rc=1)
    env.expect(["deleteall", "/nope"], err="Node does not exist: /nope\n", rc=1)
    env.expect(["create", "relative"], err="Path must start with /: relative\n", rc=1)
    env.expect(["removewatches", "/e1"], err="No such watcher for /e1\n", rc=1)


def test_usage_errors_exit_2(env):
    env.expect(["ls"], err="ls [-s] [-w] [-R] path\n", rc=2)
    env.expect(["get", "-x", "/a"], err="Unrecognized option: -x\nget [-s] [-w] path\n", rc=2)
    rc, out, err = env.run("bogus")
    check_eq("bogus rc", rc, 2)
    if not err.startswith("Command not found: bogus\n") or "\tstat [-w] path\n" not in err:
        raise Failure(f"unknown command should list the commands, got {err!r}")
    env.expect(["create", "-c", "-e", "/x"],
               err="-c cannot be combined with -s or -e. Containers cannot be ephemeral or "
                   "sequential.\ncreate [-s] [-e] [-c] [-t ttl] path [data] [acl]\n", rc=2)
    env.expect(["create", "-t", "abc", "/x"],
               err="-t argument must be a long value\n"
                   "create [-s] [-e] [-c] [-t ttl] path [data] [acl]\n", rc=2)
    env.expect(["setAcl", "/", "world:anyone"],
               err="ACL 'world:anyone' does not have the form scheme:id:perms\n"
                   "setAcl [-s] [-v version] [-R] path acl\n", rc=2)
    env.expect(["addWatch", "-m", "FOO", "/"],
               err="Unknown watch mode: FOO\naddWatch [-m mode] path # optional mode is one of "
                   "[PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE\n", rc=2)
    env.expect([], stdin="redo 5\nredo 0\n",
               err="Command index out of range\nredo cmdno\nNo redoing redos\nredo cmdno\n", rc=2)
    # The program's own options.
    rc, out, err = env.run("--output", "xml", "ls", "/")
    check_eq("--output xml rc", rc, 2)
    check_eq("--output xml message", err.splitlines()[0], "--output wants text or json, not 'xml'")
    rc, out, err = env.run("-server", "host:notaport", "ls", "/", server=False)
    check_eq("bad connect string rc", rc, 2)
    # help needs no server.
    rc, out, err = env.run("-server", "127.0.0.1:1", "help", server=False)
    check_eq("help rc", rc, 0)
    if "\tcreate [-s] [-e] [-c] [-t ttl] path [data] [acl]\n" not in out:
        raise Failure(f"help output: {out!r}")


def test_create_modes(env):
    env.expect(["create", "/m"], out="Created /m\n")
    env.expect(["create", "-s", "/m/seq-", "a"], out="Created /m/seq-0000000000\n")
    env.expect(["create", "-s", "/m/seq-", "b"], out="Created /m/seq-0000000001\n")
    env.expect(["create", "-c", "/m/container"], out="Created /m/container\n")
    env.expect(["create", "-t", "600000", "/m/ttl"], out="Created /m/ttl\n")
    env.expect(["create", "-s", "-t", "600000", "/m/sttl-"], out="Created /m/sttl-0000000004\n")
    # An ephemeral lives as long as its session: one process creates and lists it.
    env.expect([], stdin="create -e /m/eph data\ncreate -e -s /m/es-\ngetEphemerals /m\n"
                         "getEphemerals\nstat /m/eph\n",
               out="Created /m/eph\nCreated /m/es-0000000006\n[/m/eph, /m/es-0000000006]\n"
                   "[/m/eph, /m/es-0000000006]\n" + stat(owner="<session>", length=4))
    env.expect(["ls", "/m"], out="[container, seq-0000000000, seq-0000000001, sttl-0000000004, "
                                 "ttl]\n")
    env.expect(["deleteall", "-b", "2", "/m"], out="")
    env.expect(["ls", "/m"], err="Node does not exist: /m\n", rc=1)


def test_acls_and_auth(env):
    env.expect(["create", "/acl", "x", "world:anyone:cdr"], out="Created /acl\n")
    env.expect(["getAcl", "/acl"], out="'world,'anyone\n: cdr\n")
    env.expect(["getAcl", "-s", "/acl"], out="'world,'anyone\n: cdr\n" + stat(length=1))
    env.expect(["setAcl", "/acl", "world:anyone:r"], err="Insufficient permission: /acl\n", rc=1)
    env.expect(["create", "/acl2", "x"], out="Created /acl2\n")
    env.expect(["setAcl", "-s", "/acl2", "ip:10.0.0.0/8:rw,world:anyone:cdrwa"],
               out=stat(aversion=1, length=1))
    env.expect(["setAcl", "-v", "0", "/acl2", "world:anyone:cdrwa"],
               err="Version does not match: /acl2\n", rc=1)
    env.expect(["getAcl", "/acl2"], out="'ip,'10.0.0.0/8\n: rw\n'world,'anyone\n: cdrwa\n")
    env.expect(["create", "/acl2/a"], out="Created /acl2/a\n")
    env.expect(["setAcl", "-R", "/acl2", "world:anyone:cdwa"], out="")
    env.expect(["getAcl", "/acl2/a"], out="'world,'anyone\n: cdwa\n")
    env.expect(["get", "/acl2/a"], err="Insufficient permission: /acl2/a\n", rc=1)
    # digest: bob's hash of "secret"; addauth in the same session grants it.
    script = ("addauth digest bob:secret\n"
              "create /dg x digest:bob:fyVmFCwVbTJYrznoSu1koqYEYF0=:cdrwa\n"
              "get /dg\ngetAcl /dg\nsetAcl /dg auth::cdrwa\n")
    env.expect([], stdin=script,
               out="Created /dg\nx\n'digest,'bob:fyVmFCwVbTJYrznoSu1koqYEYF0=\n: cdrwa\n")
    env.expect(["get", "/dg"], err="Insufficient permission: /dg\n", rc=1)
    rc, out, err = env.run(stdin="addauth digest bob:secret\nwhoami\n")
    check_eq("whoami rc", (rc, err), (0, ""))
    lines = out.splitlines()
    check_eq("whoami", (lines[0], sorted(lines[1:])),
             ("Auth scheme: User", ["digest: bob", "ip: 127.0.0.1"]))


def test_stdin_script_with_watches(env):
    # Events print where they happen: after the command that triggered them, before the next.
    script = """
# comments and blank lines are skipped

create /w data
get -w /w
set /w d2
ls -w /w
create /w/c
stat -w /w
delete /w/c
addWatch -m PERSISTENT /w
set /w d3
removewatches /w -a
history
redo 1
close
ls /
connect {hosts}
get /w
quit
get /never-run
""".format(hosts=env.hosts)
    out = ("Created /w\ndata\n"
           "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/w\n"
           "[]\n"
           "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeChildrenChanged path:/w\n"
           "Created /w/c\n" + stat(version=1, cversion=1, length=2, children=1) +
           # stat -w left a data watch; deleting the child changes no data, so it stays.
           "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/w\n" +
           "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/w\n" +
           "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:PersistentWatchRemoved "
           "path:/w\n" +
           "0 - create /w data\n1 - get -w /w\n2 - set /w d2\n3 - ls -w /w\n4 - create /w/c\n5 - stat -w /w\n"
           "6 - delete /w/c\n7 - addWatch -m PERSISTENT /w\n8 - set /w d3\n"
           "9 - removewatches /w -a\n10 - history\n"
           "d3\n" +
           "d3\n")
    got_rc, got_out, got_err = env.run(stdin=script)
    # Two watchers (the stat -w data watch and the persistent one) see "set /w d3"; both are the
    # shell's one watcher, so ZooKeeper's rule (a watcher fires once per event) prints it once.
    check_eq("script stdout", norm(got_out), out.replace(
        "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/w\n" * 2,
        "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/w\n", 1))
    check_eq("script stderr", got_err, "Not connected\n")
    check_eq("script exit status", got_rc, 1)


def test_json_output(env):
    r = env.json("create", "/j", "va\"l\n")
    check_eq("json create", (r[0]["command"], r[0]["ok"], r[0]["created"]), ("create", True, "/j"))
    r = env.json("get", "/j")[0]
    check_eq("json get", (r["data"], r["stat"]["dataLength"], r["stat"]["version"]),
             ("va\"l\n", 5, 0))
    r = env.json("ls", "/j")[0]
    check_eq("json ls", (r["children"], r["stat"]["numChildren"]), ([], 0))
    r = env.json("get", "/nope", rc=1)[0]
    check_eq("json error", r, {"command": "get", "ok": False, "error": "NONODE",
                               "message": "Node does not exist: /nope"})
    r = env.json("ls", rc=2)[0]
    check_eq("json usage", (r["ok"], r["error"], r["usage"]),
             (False, "usage", "ls [-s] [-w] [-R] path"))
    r = env.json(stdin="getAcl /j\nwhoami\nget -w /j\nset /j x\ngetAllChildrenNumber /j\n"
                       "ls -R /j\ndelete /j\n")
    check_eq("json script kinds", [o.get("command", o.get("event")) for o in r],
             ["getAcl", "whoami", "get", "NodeDataChanged", "set", "getAllChildrenNumber", "ls",
              "delete"])
    check_eq("json acl", r[0]["acl"], [{"scheme": "world", "id": "anyone", "perms": "cdrwa"}])
    check_eq("json whoami", r[1]["auth"], [{"scheme": "ip", "user": "127.0.0.1"}])
    # The server sends the event before the reply to the set that caused it.
    check_eq("json event", r[3], {"event": "NodeDataChanged", "path": "/j",
                                  "state": "SyncConnected"})
    check_eq("json count", r[5]["count"], 0)
    check_eq("json ls -R", r[6]["paths"], ["/j"])


def test_no_server(env):
    # A port nothing listens on: the shell says so in a sentence and fails.
    rc, out, err = env.run("-server", "127.0.0.1:1", "ls", "/", server=False)
    check_eq("unreachable rc", rc, 1)
    check_eq("unreachable message", err,
             "Could not connect to 127.0.0.1:1 — still trying in the background\n")


class Pipe:
    """A conclave-cli reading a script from a pipe, its output read by threads."""

    def __init__(self, env):
        self.proc = subprocess.Popen([env.cli, "-server", env.hosts], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env.env())
        self.lines = queue.Queue()
        self.seen = []
        for stream, tag in ((self.proc.stdout, "out"), (self.proc.stderr, "err")):
            threading.Thread(target=self._pump, args=(stream, tag), daemon=True).start()

    def _pump(self, stream, tag):
        for line in stream:
            self.lines.put((tag, line.rstrip("\n")))

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, tag, text, timeout=WAIT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(got)
            if got == (tag, text):
                return
        raise Failure(f"no {tag} line {text!r} within {timeout}s; saw {self.seen!r}")

    def finish(self):
        self.proc.stdin.close()
        return self.proc.wait(timeout=CLI_TIMEOUT_S)


def test_connection_lost_and_back(env):
    p = Pipe(env)
    try:
        p.send("create /cl x")
        p.expect("out", "Created /cl")
        env.srv.kill9()
        p.expect("out", f"Connection lost — retrying {env.hosts}")
        p.send("get /cl")
        p.expect("err", f"Connection lost — retrying {env.hosts}")
        env.srv.start()
        # The session outlives the restart (30 s timeout), so the shell re-attaches to it.
        p.expect("out", f"Reconnected to {env.hosts}", timeout=60)
        p.send("get /cl")
        p.expect("out", "x")
        check_eq("exit status after a failed command", p.finish(), 1)
    finally:
        if p.proc.poll() is None:
            p.proc.kill()


# ---------------------------------------------------------------- interactive, through tmux

class Tmux:
    def __init__(self, env, name, cols=TERM_COLS):
        # A socket per session (a tmux server still shutting down cannot refuse the next one),
        # in the test's own directory, which is removed at the end.
        self.socket = os.path.join(env.home, f"tmux-{name}")
        self.target = name
        self.env = env
        cmd = (f"{env.cli} -server {env.hosts}; echo EXIT=$?; sleep 600")
        subprocess.run(["tmux", "-S", self.socket, "new-session", "-d", "-s", name,
                        "-x", str(cols), "-y", str(TERM_ROWS), cmd],
                       check=True, env=env.env())

    def keys(self, *keys, literal=False):
        args = ["tmux", "-S", self.socket, "send-keys", "-t", self.target]
        if literal:
            args.append("-l")
        subprocess.run(args + list(keys), check=True)

    def type(self, text):
        self.keys(text, literal=True)

    def screen(self):
        p = subprocess.run(["tmux", "-S", self.socket, "capture-pane", "-p", "-t", self.target],
                           capture_output=True, text=True, check=True)
        return p.stdout

    def lines(self):
        return [l.rstrip() for l in self.screen().rstrip("\n").split("\n")]

    def last_line(self):
        lines = [l for l in self.lines() if l]
        return lines[-1] if lines else ""

    def cursor_x(self):
        p = subprocess.run(["tmux", "-S", self.socket, "display", "-p", "-t", self.target,
                            "#{cursor_x}"], capture_output=True, text=True, check=True)
        return int(p.stdout.strip())

    def wait_last_line(self, what, predicate):
        return wait_for(what, lambda: predicate(self.last_line()), describe=self.screen)

    def wait_screen(self, what, predicate):
        return wait_for(what, lambda: predicate(self.screen()), describe=self.screen)

    def kill(self):
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)


PROMPT_RE = r"\[zk: 127\.0\.0\.1:\d+\(CONNECTED\) (\d+)\] "


def at_prompt(line, typed="", number=None):
    """`line` (as tmux shows it, trailing spaces dropped) is the prompt followed by `typed`."""
    typed = typed.rstrip(" ")
    pattern = PROMPT_RE.rstrip(" ") + (" " + re.escape(typed) if typed else "") + r"\s*"
    m = re.fullmatch(pattern, line)
    return bool(m) and (number is None or int(m.group(1)) == number)


def test_interactive(env):
    t = Tmux(env, "first")
    try:
        t.wait_last_line("the first prompt", lambda l: at_prompt(l, number=0))
        t.type("create /it hello")
        t.keys("Enter")
        t.wait_screen("Created /it", lambda s: "\nCreated /it\n" in s)
        t.wait_last_line("prompt 1", lambda l: at_prompt(l, number=1))

        # Tab completes a command (unique: a space follows) and then a path asked of the server.
        t.type("getAllC")
        t.keys("Tab")
        t.wait_last_line("command completed", lambda l: at_prompt(l, "getAllChildrenNumber "))
        # The trailing space is there: the cursor stands one past the command.
        check_eq("cursor after the completed command", t.cursor_x(),
                 len(t.last_line()) + 1)
        t.type("/i")
        t.keys("Tab")
        t.wait_last_line("path completed", lambda l: at_prompt(l, "getAllChildrenNumber /it"))
        t.keys("Enter")
        t.wait_last_line("prompt 2", lambda l: at_prompt(l, number=2))
        check_eq("getAllChildrenNumber output", t.lines()[-2], "0")

        # An ambiguous completion lists the choices and keeps the line.
        t.type("create /it2 x")
        t.keys("Enter")
        t.wait_last_line("prompt 3", lambda l: at_prompt(l, number=3))
        t.type("stat /i")
        t.keys("Tab")
        t.wait_last_line("common prefix", lambda l: at_prompt(l, "stat /it"))
        t.keys("Tab")
        t.wait_screen("the choices listed", lambda s: "\n/it  /it2\n" in s)
        t.wait_last_line("line kept after listing", lambda l: at_prompt(l, "stat /it"))
        t.keys("C-c")
        t.wait_last_line("Ctrl-C gives an empty line", lambda l: at_prompt(l, "", number=3))

        # A watch, then a change from another client while a line is half typed.
        t.type("get -w /it")
        t.keys("Enter")
        t.wait_last_line("prompt 4", lambda l: at_prompt(l, number=4))
        check_eq("get output", t.lines()[-2], "hello")
        t.type("get /it")
        t.wait_last_line("partial line shown", lambda l: at_prompt(l, "get /it"))
        rc, _, err = env.run("set", "/it", "changed")
        check_eq("set from another client", (rc, err), (0, ""))
        t.wait_screen("the event", lambda s: "type:NodeDataChanged path:/it" in s)
        lines = [l for l in t.lines() if l]
        check_eq("event above the prompt", lines[-2],
                 "WatchedEvent state:SyncConnected type:NodeDataChanged path:/it")
        check_eq("WATCHER header", lines[-3], "WATCHER::")
        if not at_prompt(lines[-1], "get /it", number=4):
            raise Failure(f"partial line not intact after the event: {lines[-1]!r}")
        # ... and still editable: finish it and run it.
        t.keys("Enter")
        t.wait_last_line("prompt 5", lambda l: at_prompt(l, number=5))
        check_eq("get after the change", t.lines()[-2], "changed")
        t.type("quit")
        t.keys("Enter")
        t.wait_last_line("exit", lambda l: l == "EXIT=0")
        env.transcript += t.screen()
    finally:
        t.kill()

    history_file = os.path.join(env.home, ".conclave_cli_history")
    if not os.path.exists(history_file):
        raise Failure("no history file after the first run")

    # Second run: the arrow keys reach the first run's lines.
    t = Tmux(env, "second")
    try:
        t.wait_last_line("the second run's prompt", lambda l: at_prompt(l, number=0))
        t.keys("Up")
        t.wait_last_line("last line of the first run", lambda l: at_prompt(l, "quit"))
        t.keys("Up")
        t.wait_last_line("the line before", lambda l: at_prompt(l, "get /it"))
        t.keys("Enter")
        t.wait_last_line("prompt 1", lambda l: at_prompt(l, number=1))
        check_eq("recalled command output", t.lines()[-2], "changed")
        t.type("history")
        t.keys("Enter")
        t.wait_last_line("prompt 2", lambda l: at_prompt(l, number=2))
        check_eq("history", t.lines()[-3:-1], ["0 - get /it", "1 - history"])
        t.keys("C-d")
        t.wait_last_line("exit on Ctrl-D", lambda l: l == "EXIT=0")
        env.transcript += t.screen()
    finally:
        t.kill()


def test_interactive_wrapped_line(env):
    """An event arriving while the typed line wraps over three rows of a narrow terminal, the
    cursor in the middle of it: the whole line comes back, cursor where it was."""
    t = Tmux(env, "narrow", cols=60)
    try:
        t.wait_last_line("the prompt", lambda l: at_prompt(l, number=0))
        t.type("create /wrap x")
        t.keys("Enter")
        t.type("get -w /wrap")
        t.keys("Enter")
        t.wait_last_line("prompt 2", lambda l: at_prompt(l, number=2))
        long_value = "a" * 100
        t.type("set /wrap " + long_value)
        t.keys("Left", "Left", "Left", "Left", "Left")
        t.wait_screen("the long line", lambda s: s.rstrip().endswith("a" * 23))
        before = t.lines()
        cursor = t.cursor_x()
        rc, _, err = env.run("set", "/wrap", "y")
        check_eq("set from another client", (rc, err), (0, ""))
        t.wait_screen("the event", lambda s: "type:NodeDataChanged" in s)
        lines = [l for l in t.lines() if l]
        # The edit area (three rows) is redrawn below the event, unchanged.
        edit_rows = [l for l in before if l][-3:]
        check_eq("wrapped line after the event", lines[-3:], edit_rows)
        check_eq("cursor after the event", t.cursor_x(), cursor)
        t.keys("Enter")
        t.wait_last_line("prompt 3", lambda l: at_prompt(l, number=3))
        rc, out, _ = env.run("get", "/wrap")
        check_eq("value set by the redrawn line", out, long_value + "\n")
    finally:
        t.kill()


SCRIPTED = [test_nodes_one_command_each, test_errors_read_like_sentences, test_usage_errors_exit_2,
            test_create_modes, test_acls_and_auth, test_stdin_script_with_watches,
            test_json_output, test_no_server]
INTERACTIVE = [test_interactive, test_interactive_wrapped_line]
# Restarts the server, so it runs last.
DISRUPTIVE = [test_connection_lost_and_back]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_args(parser)
    parser.add_argument("--cli", required=True, help="path to conclave-cli")
    parser.add_argument("-k", help="run only tests whose name contains this")
    parser.add_argument("--transcript", help="write the interactive screens to this file")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed (scripts/install-deps.sh installs it)", file=sys.stderr)
        return 1

    tests = SCRIPTED + INTERACTIVE + DISRUPTIVE
    if args.k:
        tests = [t for t in tests if args.k in t.__name__]
    srv = make_server(args.server, binary=args.binary, extra_cfg=EXTRA_CFG, java_props=JAVA_PROPS)
    failed = []
    with srv:
        env = Env(args.cli, srv, args.server)
        try:
            for test in tests:
                start = time.monotonic()
                try:
                    test(env)
                    print(f"PASS {test.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
                except Exception as e:  # report every test, then fail the run
                    failed.append(test.__name__)
                    detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
                    print(f"FAIL {test.__name__}: {detail}", flush=True)
            if args.transcript and env.transcript:
                with open(args.transcript, "w") as f:
                    f.write(env.transcript)
        finally:
            shutil.rmtree(env.home, ignore_errors=True)
        if failed:
            print(f"--- {args.server} log tail ---\n{srv.log_tail()}", file=sys.stderr)
    print(f"{len(tests) - len(failed)} passed, {len(failed)} failed ({args.server})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
