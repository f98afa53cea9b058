// ZooKeeper compatibility tests on the official Java client (org.apache.zookeeper.ZooKeeper,
// Debian's zookeeper.jar 3.8), run by run_java_compat.py against Apache ZooKeeper 3.8, against
// Conclave and against a 3-member Conclave ensemble (through a follower) with the same
// expectations: node types and Stat fields, versions and errors, one-shot and persistent
// watches, multi, ACLs and digest auth, sync, getEphemerals / getAllChildrenNumber, session
// close and expiry, and a session moving to another member (automatic reconnect, and an
// explicit re-attach with id and password).
//
//   java -cp CLASSES:zookeeper.jar JavaClientCompat --hosts H:P --others H:P[,H:P...]
//       --server zookeeper|conclave --super-password PW --min-timeout MS --max-timeout MS
//       [--expect-fail TEST]... [test...]
//
// --others are the other members of an ensemble (the server itself when standalone): the
// "other" client of the watch and sync tests writes through one of them, and the reconnect
// tests move sessions to each. A session is moved with a TCP proxy inside this program: the
// client only knows the proxy's address, the proxy cuts its connection and forwards the
// client's reconnect to another member.
//
// Prints one line per test ("ok   name (ms)" or "FAIL name (ms)" after the failed check's
// reason; "xfail"/"XPASS" for a test named by --expect-fail, a known difference of the server)
// and exits 1 if any failed. Waiting is always for a condition with a deadline. "No
// more events fired" is proven with a sync on the watching handle (sync()): the member
// answers it after it has applied every change committed before it (and sent their watch
// events), and the client delivers events and callbacks in order on its event thread.
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

public final class JavaClientCompat {
  static final long DEADLINE_MS = 20_000;
  static final int DEFAULT_TIMEOUT_MS = 6000;
  static final List<ACL> OPEN = Ids.OPEN_ACL_UNSAFE;

  static String hosts;
  static List<String> others = new ArrayList<>();
  static String server;
  static String superPassword;
  static int minTimeoutMs;
  static int maxTimeoutMs;
  // Tests known to fail against this server (--expect-fail): a failure is reported as
  // "xfail" and not counted, a pass as "XPASS" and counted, so the list is kept current.
  static Set<String> expectFail = new HashSet<>();

  // ---- checks ----

  static final class CheckFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CheckFailed(String what) {
      super(what);
    }
  }

  static void fail(String what) {
    throw new CheckFailed(what);
  }

  static void check(boolean cond, String what) {
    if (!cond) fail(what);
  }

  static void checkEq(Object actual, Object expected, String what) {
    if (!java.util.Objects.equals(actual, expected)) {
      fail(what + ": got " + actual + ", expected " + expected);
    }
  }

  interface Call {
    void run() throws Exception;
  }

  // `call` must fail with `code`.
  static KeeperException expectCode(Code code, String what, Call call) throws Exception {
    try {
      call.run();
    } catch (KeeperException e) {
      if (e.code() != code) fail(what + ": " + e.code() + " instead of " + code);
      return e;
    }
    fail(what + ": succeeded, expected " + code);
    return null;
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String str(byte[] d) {
    return d == null ? null : new String(d, StandardCharsets.UTF_8);
  }

  static String ev(EventType type, String path) {
    return type + " " + path;
  }

  static List<String> sorted(List<String> v) {
    List<String> out = new ArrayList<>(v);
    Collections.sort(out);
    return out;
  }

  // ---- watchers, sessions ----

  // The node events one watcher got, in order ("Type path").
  static final class Events implements Watcher {
    private final List<String> items = new ArrayList<>();

    @Override
    public synchronized void process(WatchedEvent e) {
      if (e.getType() == EventType.None) return;
      items.add(ev(e.getType(), e.getPath()));
      notifyAll();
    }

    synchronized List<String> await(int count) throws InterruptedException {
      long deadline = System.currentTimeMillis() + DEADLINE_MS;
      while (items.size() < count) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) fail("expected " + count + " watch events, got " + items);
        wait(left);
      }
      return new ArrayList<>(items);
    }

    synchronized List<String> snapshot() {
      return new ArrayList<>(items);
    }
  }

  // One handle and the connection states its default watcher saw.
  static final class Session implements Watcher {
    final List<KeeperState> states = new ArrayList<>();
    ZooKeeper zk;

    @Override
    public synchronized void process(WatchedEvent e) {
      if (e.getType() != EventType.None) return;
      states.add(e.getState());
      notifyAll();
    }

    synchronized int count(KeeperState s) {
      return Collections.frequency(states, s);
    }

    // Waits until `s` was seen `n` times in all.
    synchronized void awaitState(KeeperState s, int n) throws InterruptedException {
      long deadline = System.currentTimeMillis() + DEADLINE_MS;
      while (count(s) < n) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) fail("waited for " + s + " #" + n + "; states so far " + states);
        wait(left);
      }
    }

    // The first of SyncConnected or Expired.
    synchronized KeeperState awaitOutcome() throws InterruptedException {
      long deadline = System.currentTimeMillis() + DEADLINE_MS;
      for (; ; ) {
        for (KeeperState s : states) {
          if (s == KeeperState.SyncConnected || s == KeeperState.Expired) return s;
        }
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) fail("no session outcome; states " + states);
        wait(left);
      }
    }
  }

  // Syncs `path` through `zk` and waits for the callback: every change committed before is
  // then applied at zk's member, its watch events sent and delivered before the callback.
  static void sync(ZooKeeper zk, String path) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    AtomicInteger rc = new AtomicInteger(Integer.MIN_VALUE);
    AtomicReference<String> got = new AtomicReference<>();
    zk.sync(path, (r, p, ctx) -> {
      rc.set(r);
      got.set(p);
      done.countDown();
    }, null);
    if (!done.await(DEADLINE_MS, TimeUnit.MILLISECONDS)) fail("sync(" + path + ") timed out");
    checkEq(Code.get(rc.get()), Code.OK, "sync(" + path + ")");
    checkEq(got.get(), path, "sync's path");
  }

  // ---- the proxy that moves a session between members ----

  // Forwards each accepted connection to the current upstream; block() refuses new
  // connections and cuts the open ones, pointTo() forwards the next ones elsewhere.
  static final class Proxy implements AutoCloseable {
    private final ServerSocket listener;
    private volatile InetSocketAddress upstream;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> forwarded = new ConcurrentHashMap<>();
    private volatile boolean closed = false;

    Proxy(String target) throws IOException {
      listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      upstream = address(target);
      Thread t = new Thread(this::acceptLoop, "proxy-accept");
      t.setDaemon(true);
      t.start();
    }

    static InetSocketAddress address(String hostPort) {
      int colon = hostPort.lastIndexOf(':');
      return new InetSocketAddress(hostPort.substring(0, colon),
          Integer.parseInt(hostPort.substring(colon + 1)));
    }

    String hosts() {
      return "127.0.0.1:" + listener.getLocalPort();
    }

    // How many connections were forwarded to `target`.
    int forwardedTo(String target) {
      return forwarded.computeIfAbsent(key(address(target)), k -> new AtomicInteger()).get();
    }

    static String key(InetSocketAddress a) {
      return a.getHostString() + ":" + a.getPort();
    }

    void block() {
      upstream = null;
      cutAll();
    }

    void pointTo(String target) {
      upstream = address(target);
      cutAll();
    }

    private void cutAll() {
      for (Socket s : open) closeQuietly(s);
    }

    private void acceptLoop() {
      while (!closed) {
        Socket client;
        try {
          client = listener.accept();
        } catch (IOException e) {
          return;
        }
        InetSocketAddress up = upstream;
        if (up == null) {
          closeQuietly(client);
          continue;
        }
        Socket server = new Socket();
        try {
          server.connect(up, 5000);
        } catch (IOException e) {
          closeQuietly(client);
          closeQuietly(server);
          continue;
        }
        open.add(client);
        open.add(server);
        forwarded.computeIfAbsent(key(up), k -> new AtomicInteger()).incrementAndGet();
        pump(client, server);
        pump(server, client);
      }
    }

    private void pump(Socket from, Socket to) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[65536];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
          int n;
          while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            out.flush();
          }
        } catch (IOException e) {
          // cut, or the other side closed
        } finally {
          closeQuietly(from);
          closeQuietly(to);
        }
      }, "proxy-pump");
      t.setDaemon(true);
      t.start();
    }

    private void closeQuietly(Socket s) {
      open.remove(s);
      try {
        s.close();
      } catch (IOException e) {
        // already closed
      }
    }

    @Override
    public void close() throws IOException {
      closed = true;
      listener.close();
      cutAll();
    }
  }

  // ---- per-test context ----

  static final class Ctx {
    final String base;
    final List<Session> sessions = new ArrayList<>();
    ZooKeeper zk;

    Ctx(String base) {
      this.base = base;
    }

    String p(String... parts) {
      StringBuilder sb = new StringBuilder(base);
      for (String part : parts) sb.append('/').append(part);
      return sb.toString();
    }

    // A connected session on `connect`, closed after the test.
    Session sessionAt(String connect, int timeoutMs) throws Exception {
      Session s = new Session();
      sessions.add(s);
      s.zk = new ZooKeeper(connect, timeoutMs, s);
      s.awaitState(KeeperState.SyncConnected, 1);
      return s;
    }

    // A handle re-attaching to session `id`; the caller checks the outcome.
    Session reattach(String connect, int timeoutMs, long id, byte[] passwd) throws Exception {
      Session s = new Session();
      sessions.add(s);
      s.zk = new ZooKeeper(connect, timeoutMs, s, id, passwd);
      return s;
    }

    ZooKeeper open() throws Exception {
      return sessionAt(hosts, DEFAULT_TIMEOUT_MS).zk;
    }

    // A handle on another member (the same server when standalone).
    ZooKeeper openOther() throws Exception {
      return sessionAt(others.get(0), DEFAULT_TIMEOUT_MS).zk;
    }

    void closeAll() {
      for (Session s : sessions) {
        try {
          s.zk.close();
        } catch (Exception e) {
          // best effort
        }
      }
    }
  }

  // A mutable list: the client asks the ACL list contains(null), which List.of refuses.
  static List<ACL> acls(ACL... acl) {
    return new ArrayList<>(Arrays.asList(acl));
  }

  static String digest(String userPassword) throws NoSuchAlgorithmException {
    return DigestAuthenticationProvider.generateDigest(userPassword);
  }

  // ---- tests: sessions ----

  static void testSessionNegotiation(Ctx c) throws Exception {
    int[][] cases = {
        {900, minTimeoutMs}, {3000, 3000}, {600000, maxTimeoutMs}, {minTimeoutMs, minTimeoutMs}};
    Set<Long> ids = new HashSet<>();
    for (int[] k : cases) {
      ZooKeeper zk = c.sessionAt(hosts, k[0]).zk;
      checkEq(zk.getSessionTimeout(), k[1], "negotiated timeout for a request of " + k[0]);
      check(zk.getSessionId() != 0, "a session id");
      checkEq(zk.getSessionPasswd().length, 16, "password length");
      check(ids.add(zk.getSessionId()), "session ids are unique");
      checkEq(zk.getState(), ZooKeeper.States.CONNECTED, "state");
    }
  }

  static void testCloseRemovesEphemerals(Ctx c) throws Exception {
    Session owner = c.sessionAt(hosts, DEFAULT_TIMEOUT_MS);
    long sid = owner.zk.getSessionId();
    byte[] passwd = owner.zk.getSessionPasswd();
    owner.zk.create(c.p("e"), b("x"), OPEN, CreateMode.EPHEMERAL);
    String seq = owner.zk.create(c.p("s-"), b(""), OPEN, CreateMode.EPHEMERAL_SEQUENTIAL);
    Events gone = new Events();
    check(c.zk.exists(c.p("e"), gone) != null, "the ephemeral exists");
    owner.zk.close();
    checkEq(gone.await(1), List.of(ev(EventType.NodeDeleted, c.p("e"))), "exists watch");
    check(c.zk.exists(c.p("e"), false) == null, "the ephemeral is gone");
    check(c.zk.exists(seq, false) == null, "the ephemeral sequential node is gone");
    // A closed session cannot be resumed.
    Session again = c.reattach(hosts, DEFAULT_TIMEOUT_MS, sid, passwd);
    checkEq(again.awaitOutcome(), KeeperState.Expired, "re-attaching to a closed session");
  }

  static void testExpiryRemovesEphemerals(Ctx c) throws Exception {
    try (Proxy proxy = new Proxy(hosts)) {
      Session s = c.sessionAt(proxy.hosts(), minTimeoutMs);
      s.zk.create(c.p("e"), b(""), OPEN, CreateMode.EPHEMERAL);
      Events gone = new Events();
      check(c.zk.exists(c.p("e"), gone) != null, "the ephemeral exists");
      long cut = System.currentTimeMillis();
      proxy.block();
      checkEq(gone.await(1), List.of(ev(EventType.NodeDeleted, c.p("e"))), "expiry");
      long waited = System.currentTimeMillis() - cut;
      check(waited >= minTimeoutMs / 2, "expired after " + waited + " ms, before its timeout");
      proxy.pointTo(hosts);
      s.awaitState(KeeperState.Expired, 1);
      checkEq(s.zk.getState(), ZooKeeper.States.CLOSED, "the expired handle's state");
    }
  }

  // Cuts the session's connection through `proxy` and forwards its reconnect to `target`;
  // `whileAway` runs while the handle is disconnected.
  static void moveSession(Session s, Proxy proxy, String target, Call whileAway)
      throws Exception {
    int disconnects = s.count(KeeperState.Disconnected);
    int connects = s.count(KeeperState.SyncConnected);
    long sid = s.zk.getSessionId();
    proxy.block();
    s.awaitState(KeeperState.Disconnected, disconnects + 1);
    whileAway.run();
    int before = proxy.forwardedTo(target);
    proxy.pointTo(target);
    s.awaitState(KeeperState.SyncConnected, connects + 1);
    check(proxy.forwardedTo(target) > before, "reconnected through " + target);
    checkEq(s.zk.getSessionId(), sid, "the same session after the move to " + target);
  }

  // The session's connection is cut and its reconnect forwarded to another member (each in
  // turn), with no watch pending: the same session, its ephemerals kept, a sync and reads
  // through the new member, new ephemerals and watches there.
  static void testReconnectToOtherMember(Ctx c) throws Exception {
    try (Proxy proxy = new Proxy(hosts)) {
      Session s = c.sessionAt(proxy.hosts(), maxTimeoutMs);
      ZooKeeper zk = s.zk;
      long sid = zk.getSessionId();
      zk.create(c.p("eph"), b("mine"), OPEN, CreateMode.EPHEMERAL);
      c.zk.create(c.p("n"), b("0"), OPEN, CreateMode.PERSISTENT);
      int round = 0;
      for (String target : others) {
        final int r = ++round;
        moveSession(s, proxy, target, () -> c.zk.setData(c.p("n"), b("" + r), -1));
        sync(zk, c.p("n"));
        checkEq(str(zk.getData(c.p("n"), false, null)), "" + r, "a read after the move");
        for (int i = 0; i < r; ++i) {
          String e = i == 0 ? c.p("eph") : c.p("eph" + i);
          Stat st = zk.exists(e, false);
          check(st != null && st.getEphemeralOwner() == sid,
              "the session's " + e + " after the move to " + target + ": " + st);
        }
        zk.create(c.p("eph" + r), b(""), OPEN, CreateMode.EPHEMERAL);
        // A watch set through the new member fires (and is used up before the next move).
        Events after = new Events();
        zk.getData(c.p("n"), after, null);
        c.zk.setData(c.p("n"), b("x" + r), -1);
        checkEq(after.await(1), List.of(ev(EventType.NodeDataChanged, c.p("n"))),
            "a watch set through " + target);
      }
      zk.close();
      sync(c.zk, c.base);
      check(c.zk.exists(c.p("eph"), false) == null, "closing the moved session removes eph");
      check(c.zk.exists(c.p("eph1"), false) == null, "... and eph1");
    }
  }

  // Watches pending when the connection drops are re-sent on the reconnect (setWatches, with
  // the last zxid the client saw) -- here to another member -- and fire for what changed while
  // the client was away.
  static void testWatchesSurviveReconnect(Ctx c) throws Exception {
    try (Proxy proxy = new Proxy(hosts)) {
      Session s = c.sessionAt(proxy.hosts(), maxTimeoutMs);
      ZooKeeper zk = s.zk;
      c.zk.create(c.p("n"), b("0"), OPEN, CreateMode.PERSISTENT);
      c.zk.create(c.p("same"), b(""), OPEN, CreateMode.PERSISTENT);
      int round = 0;
      for (String target : others) {
        final int r = ++round;
        String m = c.p("m" + r);
        Events data = new Events();
        Events created = new Events();
        Events kids = new Events();
        Events unchanged = new Events();
        zk.getData(c.p("n"), data, null);
        check(zk.exists(m, created) == null, m + " does not exist yet");
        zk.getChildren(c.p("n"), kids);
        zk.getData(c.p("same"), unchanged, null);
        moveSession(s, proxy, target, () -> {
          c.zk.setData(c.p("n"), b("" + r), -1);
          c.zk.create(m, b(""), OPEN, CreateMode.PERSISTENT);
          c.zk.create(c.p("n", "k" + r), b(""), OPEN, CreateMode.PERSISTENT);
        });
        checkEq(data.await(1), List.of(ev(EventType.NodeDataChanged, c.p("n"))),
            "data watch across the move to " + target);
        checkEq(created.await(1), List.of(ev(EventType.NodeCreated, m)),
            "exists watch across the move to " + target);
        checkEq(kids.await(1), List.of(ev(EventType.NodeChildrenChanged, c.p("n"))),
            "child watch across the move to " + target);
        sync(zk, c.base);
        checkEq(unchanged.snapshot(), List.of(), "a watch on an unchanged node stays quiet");
        // ... and stays set: it fires for the next change.
        c.zk.setData(c.p("same"), b("" + r), -1);
        checkEq(unchanged.await(1), List.of(ev(EventType.NodeDataChanged, c.p("same"))),
            "the re-registered watch on an unchanged node");
      }
    }
  }

  // While the session's own handle is cut off, a second handle re-attaches to it with its id
  // and password through another member; a wrong password gets Expired there.
  static void testReattachOnOtherMember(Ctx c) throws Exception {
    try (Proxy proxy = new Proxy(hosts)) {
      Session first = c.sessionAt(proxy.hosts(), maxTimeoutMs);
      long sid = first.zk.getSessionId();
      byte[] passwd = first.zk.getSessionPasswd();
      first.zk.create(c.p("e1"), b(""), OPEN, CreateMode.EPHEMERAL);
      proxy.block();
      first.awaitState(KeeperState.Disconnected, 1);
      String target = others.get(others.size() - 1);

      byte[] bad = passwd.clone();
      for (int i = 0; i < bad.length; ++i) bad[i] ^= (byte) 0xFF;
      Session wrong = c.reattach(target, maxTimeoutMs, sid, bad);
      checkEq(wrong.awaitOutcome(), KeeperState.Expired, "a wrong password");

      Session second = c.reattach(target, maxTimeoutMs, sid, passwd);
      checkEq(second.awaitOutcome(), KeeperState.SyncConnected, "the right password");
      checkEq(second.zk.getSessionId(), sid, "the re-attached session id");
      Stat e1 = second.zk.exists(c.p("e1"), false);
      check(e1 != null && e1.getEphemeralOwner() == sid, "e1 is still the session's: " + e1);
      Stat e2 = new Stat();
      second.zk.create(c.p("e2"), b(""), OPEN, CreateMode.EPHEMERAL, e2);
      checkEq(e2.getEphemeralOwner(), sid, "e2's owner");
      second.zk.close();
      sync(c.zk, c.base);
      check(c.zk.exists(c.p("e1"), false) == null, "closing the session removed e1");
      check(c.zk.exists(c.p("e2"), false) == null, "closing the session removed e2");
      proxy.pointTo(hosts);
      first.awaitState(KeeperState.Expired, 1);
    }
  }

  // ---- tests: nodes ----

  static void testCreateModesAndStat(Ctx c) throws Exception {
    long sid = c.zk.getSessionId();
    Stat before = c.zk.exists(c.base, false);
    Stat st = new Stat();
    checkEq(c.zk.create(c.p("a"), b("hello"), OPEN, CreateMode.PERSISTENT, st), c.p("a"),
        "create returns the path");
    checkEq(st.getMzxid(), st.getCzxid(), "mzxid");
    checkEq(st.getPzxid(), st.getCzxid(), "pzxid");
    checkEq(st.getMtime(), st.getCtime(), "mtime");
    check(Math.abs(st.getCtime() - System.currentTimeMillis()) < 60_000, "ctime is now");
    checkEq(Arrays.asList(st.getVersion(), st.getCversion(), st.getAversion(),
                st.getNumChildren()),
        Arrays.asList(0, 0, 0, 0), "version, cversion, aversion, numChildren");
    checkEq(st.getEphemeralOwner(), 0L, "ephemeralOwner");
    checkEq(st.getDataLength(), 5, "dataLength");
    checkEq(c.zk.exists(c.p("a"), false), st, "exists returns the create's Stat");
    Stat parent = c.zk.exists(c.base, false);
    checkEq(parent.getCversion(), before.getCversion() + 1, "parent cversion");
    checkEq(parent.getNumChildren(), before.getNumChildren() + 1, "parent numChildren");
    checkEq(parent.getPzxid(), st.getCzxid(), "parent pzxid");
    checkEq(parent.getMzxid(), before.getMzxid(), "parent mzxid");
    expectCode(Code.NODEEXISTS, "create again",
        () -> c.zk.create(c.p("a"), b(""), OPEN, CreateMode.PERSISTENT));
    expectCode(Code.NONODE, "create under a missing parent",
        () -> c.zk.create(c.p("missing", "x"), b(""), OPEN, CreateMode.PERSISTENT));

    Stat es = new Stat();
    c.zk.create(c.p("e"), b("x"), OPEN, CreateMode.EPHEMERAL, es);
    checkEq(es.getEphemeralOwner(), sid, "ephemeralOwner");
    expectCode(Code.NOCHILDRENFOREPHEMERALS, "a child of an ephemeral",
        () -> c.zk.create(c.p("e", "k"), b(""), OPEN, CreateMode.PERSISTENT));

    // Sequence numbers come from the parent's cversion: a and e were created.
    checkEq(c.zk.create(c.p("s-"), b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL),
        c.p("s-0000000002"), "persistent sequential");
    Stat ss = new Stat();
    checkEq(c.zk.create(c.p("e-"), b(""), OPEN, CreateMode.EPHEMERAL_SEQUENTIAL, ss),
        c.p("e-0000000003"), "ephemeral sequential");
    checkEq(ss.getEphemeralOwner(), sid, "ephemeral sequential owner");
    // A sequential create may end in '/': the suffix is the whole last component.
    checkEq(c.zk.create(c.p("a") + "/", b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL),
        c.p("a", "0000000000"), "sequential create ending in /");
  }

  // Data given as null is kept as null (-1 on the wire), not as an empty array.
  static void testNullData(Ctx c) throws Exception {
    c.zk.create(c.p("n"), null, OPEN, CreateMode.PERSISTENT);
    Stat st = new Stat();
    byte[] got = c.zk.getData(c.p("n"), false, st);
    checkEq(got == null ? "null" : "length " + got.length, "null", "data created as null");
    checkEq(st.getDataLength(), 0, "dataLength of null data");
    c.zk.setData(c.p("n"), b("x"), -1);
    c.zk.setData(c.p("n"), null, -1);
    got = c.zk.getData(c.p("n"), false, st);
    checkEq(got == null ? "null" : "length " + got.length, "null", "data set to null");
    c.zk.create(c.p("empty"), new byte[0], OPEN, CreateMode.PERSISTENT);
    got = c.zk.getData(c.p("empty"), false, st);
    checkEq(got == null ? "null" : "length " + got.length, "length 0", "empty data");
  }

  static void testContainerAndTtl(Ctx c) throws Exception {
    Stat st = new Stat();
    c.zk.create(c.p("used"), b(""), OPEN, CreateMode.CONTAINER, st);
    // The container marker stays inside the server.
    checkEq(st.getEphemeralOwner(), 0L, "a container's ephemeralOwner");
    c.zk.create(c.p("never-used"), b(""), OPEN, CreateMode.CONTAINER);
    c.zk.create(c.p("used", "k"), b(""), OPEN, CreateMode.PERSISTENT);
    c.zk.delete(c.p("used", "k"), -1);

    Stat ttl = new Stat();
    c.zk.create(c.p("ttl"), b("t"), OPEN, CreateMode.PERSISTENT_WITH_TTL, ttl, 500);
    checkEq(ttl.getEphemeralOwner(), 0L, "a TTL node's ephemeralOwner");
    checkEq(c.zk.create(c.p("seq-"), b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL,
                new Stat(), 600_000),
        c.p("seq-0000000003"), "sequential TTL node");
    long deadline = System.currentTimeMillis() + DEADLINE_MS;
    while (c.zk.exists(c.p("used"), false) != null || c.zk.exists(c.p("ttl"), false) != null) {
      check(System.currentTimeMillis() < deadline,
          "the empty container and the expired TTL node were not removed");
      Thread.sleep(20);
    }
    // Passed over in the same sweeps: never had a child / TTL not reached.
    check(c.zk.exists(c.p("never-used"), false) != null, "a never-used container stays");
    check(c.zk.exists(c.p("seq-0000000003"), false) != null, "an unexpired TTL node stays");
  }

  static void testDataAndVersions(Ctx c) throws Exception {
    Stat created = new Stat();
    c.zk.create(c.p("n"), b("12345"), OPEN, CreateMode.PERSISTENT, created);
    Stat st = c.zk.setData(c.p("n"), b("abc"), 0);
    checkEq(st.getVersion(), 1, "version after setData");
    check(st.getMzxid() > created.getMzxid(), "mzxid grows");
    checkEq(st.getCzxid(), created.getCzxid(), "czxid");
    checkEq(st.getPzxid(), created.getPzxid(), "pzxid");
    checkEq(st.getCtime(), created.getCtime(), "ctime");
    check(st.getMtime() >= created.getMtime(), "mtime");
    checkEq(st.getDataLength(), 3, "dataLength");
    Stat got = new Stat();
    checkEq(str(c.zk.getData(c.p("n"), false, got)), "abc", "getData");
    checkEq(got, st, "getData's Stat");
    expectCode(Code.BADVERSION, "setData with a stale version",
        () -> c.zk.setData(c.p("n"), b("x"), 0));
    checkEq(c.zk.setData(c.p("n"), b(""), -1).getVersion(), 2, "setData with version -1");
    checkEq(c.zk.exists(c.p("n"), false).getDataLength(), 0, "empty data");
    checkEq(str(c.zk.getData(c.p("n"), false, null)), "", "empty data reads back empty");
    expectCode(Code.NONODE, "setData of a missing node",
        () -> c.zk.setData(c.p("nope"), b("x"), -1));
    expectCode(Code.NONODE, "getData of a missing node",
        () -> c.zk.getData(c.p("nope"), false, null));
    byte[] binary = {0, 1, (byte) 0xFF, 0, 'z'};
    c.zk.setData(c.p("n"), binary, 2);
    check(Arrays.equals(c.zk.getData(c.p("n"), false, null), binary), "binary data round-trips");
  }

  static void testExistsAndChildren(Ctx c) throws Exception {
    check(c.zk.exists(c.p("none"), false) == null, "exists of a missing node");
    for (String name : List.of("b", "a", "c")) {
      c.zk.create(c.p(name), b(""), OPEN, CreateMode.PERSISTENT);
    }
    checkEq(sorted(c.zk.getChildren(c.base, false)), List.of("a", "b", "c"), "getChildren");
    Stat st = new Stat();
    checkEq(sorted(c.zk.getChildren(c.base, false, st)), List.of("a", "b", "c"),
        "getChildren2");
    checkEq(st, c.zk.exists(c.base, false), "getChildren2's Stat");
    checkEq(st.getNumChildren(), 3, "numChildren");
    checkEq(c.zk.getChildren(c.p("a"), false), List.of(), "a leaf's children");
    expectCode(Code.NONODE, "getChildren of a missing node",
        () -> c.zk.getChildren(c.p("none"), false));
    expectCode(Code.NONODE, "getChildren2 of a missing node",
        () -> c.zk.getChildren(c.p("none"), false, new Stat()));
    check(c.zk.getChildren("/", false).contains("zookeeper"), "/zookeeper is listed");
    check(c.zk.exists("/zookeeper/quota", false) != null, "/zookeeper/quota exists");
    check(c.zk.getConfig(false, new Stat()) != null, "getConfig reads /zookeeper/config");
  }

  static void testDeleteErrors(Ctx c) throws Exception {
    c.zk.create(c.p("x"), b(""), OPEN, CreateMode.PERSISTENT);
    c.zk.create(c.p("x", "y"), b(""), OPEN, CreateMode.PERSISTENT);
    expectCode(Code.NOTEMPTY, "delete a node with a child", () -> c.zk.delete(c.p("x"), -1));
    expectCode(Code.BADVERSION, "delete with a wrong version",
        () -> c.zk.delete(c.p("x", "y"), 3));
    expectCode(Code.NONODE, "delete a missing node", () -> c.zk.delete(c.p("zz"), -1));
    Stat before = c.zk.exists(c.p("x"), false);
    c.zk.delete(c.p("x", "y"), 0);
    Stat after = c.zk.exists(c.p("x"), false);
    checkEq(after.getCversion(), before.getCversion() + 1, "cversion after a delete");
    checkEq(after.getNumChildren(), 0, "numChildren after a delete");
    c.zk.delete(c.p("x"), -1);
    check(c.zk.exists(c.p("x"), false) == null, "deleted");
  }

  // ---- tests: watches ----

  static void testDataWatchFiresOnce(Ctx c) throws Exception {
    c.zk.create(c.p("n"), b(""), OPEN, CreateMode.PERSISTENT);
    ZooKeeper other = c.openOther();
    Events w = new Events();
    c.zk.getData(c.p("n"), w, null);
    other.setData(c.p("n"), b("1"), -1);
    checkEq(w.await(1), List.of(ev(EventType.NodeDataChanged, c.p("n"))), "data watch");
    other.setData(c.p("n"), b("2"), -1);
    sync(c.zk, c.p("n"));
    checkEq(w.snapshot().size(), 1, "a data watch fires once");
    // Set again, it fires for a delete.
    c.zk.getData(c.p("n"), w, null);
    other.delete(c.p("n"), -1);
    checkEq(w.await(2).get(1), ev(EventType.NodeDeleted, c.p("n")), "data watch on delete");
  }

  static void testExistsWatchFiresOnce(Ctx c) throws Exception {
    ZooKeeper other = c.openOther();
    Events w = new Events();
    check(c.zk.exists(c.p("n"), w) == null, "n does not exist yet");
    other.create(c.p("n"), b(""), OPEN, CreateMode.PERSISTENT);
    checkEq(w.await(1), List.of(ev(EventType.NodeCreated, c.p("n"))), "exists watch");
    other.setData(c.p("n"), b("x"), -1);
    other.delete(c.p("n"), -1);
    sync(c.zk, c.base);
    checkEq(w.snapshot().size(), 1, "an exists watch fires once");
    // On an existing node it fires for the delete.
    other.create(c.p("m"), b(""), OPEN, CreateMode.PERSISTENT);
    sync(c.zk, c.base);
    Events d = new Events();
    check(c.zk.exists(c.p("m"), d) != null, "m exists");
    other.delete(c.p("m"), -1);
    checkEq(d.await(1), List.of(ev(EventType.NodeDeleted, c.p("m"))), "exists watch on delete");
  }

  static void testChildWatchFiresOnce(Ctx c) throws Exception {
    c.zk.create(c.p("c"), b(""), OPEN, CreateMode.PERSISTENT);
    ZooKeeper other = c.openOther();
    Events w = new Events();
    c.zk.getChildren(c.base, w);
    other.setData(c.p("c"), b("data"), -1);  // a child's data: no child event
    other.setData(c.base, b("data"), -1);  // the node's own data: none either
    sync(c.zk, c.base);
    checkEq(w.snapshot(), List.of(), "no child event for data changes");
    other.create(c.p("d"), b(""), OPEN, CreateMode.PERSISTENT);
    checkEq(w.await(1), List.of(ev(EventType.NodeChildrenChanged, c.base)), "child watch");
    other.delete(c.p("d"), -1);
    sync(c.zk, c.base);
    checkEq(w.snapshot().size(), 1, "a child watch fires once");
    Events gone = new Events();
    c.zk.getChildren(c.p("c"), gone, new Stat());
    other.delete(c.p("c"), -1);
    checkEq(gone.await(1), List.of(ev(EventType.NodeDeleted, c.p("c"))),
        "child watch on a deleted node");
  }

  static void testRemoveWatches(Ctx c) throws Exception {
    c.zk.create(c.p("n"), b(""), OPEN, CreateMode.PERSISTENT);
    Events w = new Events();
    c.zk.getData(c.p("n"), w, null);
    c.zk.removeWatches(c.p("n"), w, Watcher.WatcherType.Data, false);
    c.zk.setData(c.p("n"), b("x"), -1);
    sync(c.zk, c.p("n"));
    checkEq(w.snapshot(), List.of(ev(EventType.DataWatchRemoved, c.p("n"))),
        "only the removal is reported");
    expectCode(Code.NOWATCHER, "removing it again",
        () -> c.zk.removeWatches(c.p("n"), w, Watcher.WatcherType.Data, false));
    Events k = new Events();
    c.zk.getChildren(c.p("n"), k);
    c.zk.removeWatches(c.p("n"), k, Watcher.WatcherType.Any, false);
    c.zk.create(c.p("n", "kid"), b(""), OPEN, CreateMode.PERSISTENT);
    sync(c.zk, c.p("n"));
    checkEq(k.snapshot(), List.of(ev(EventType.ChildWatchRemoved, c.p("n"))),
        "a removed child watch");
  }

  static void testPersistentWatch(Ctx c) throws Exception {
    ZooKeeper other = c.openOther();
    c.zk.create(c.p("n"), b(""), OPEN, CreateMode.PERSISTENT);
    Events w = new Events();
    c.zk.addWatch(c.p("n"), w, AddWatchMode.PERSISTENT);
    sync(c.zk, c.p("n"));  // the connection still works after the addWatch reply
    other.setData(c.p("n"), b("1"), -1);
    other.setData(c.p("n"), b("2"), -1);
    other.create(c.p("n", "k"), b(""), OPEN, CreateMode.PERSISTENT);
    other.create(c.p("n", "k", "deep"), b(""), OPEN, CreateMode.PERSISTENT);  // not a child
    other.setData(c.p("n", "k"), b("x"), -1);  // a child's data
    other.delete(c.p("n", "k", "deep"), -1);
    other.delete(c.p("n", "k"), -1);
    other.delete(c.p("n"), -1);
    other.create(c.p("n"), b(""), OPEN, CreateMode.PERSISTENT);
    String n = c.p("n");
    List<String> expected = List.of(ev(EventType.NodeDataChanged, n),
        ev(EventType.NodeDataChanged, n), ev(EventType.NodeChildrenChanged, n),
        ev(EventType.NodeChildrenChanged, n), ev(EventType.NodeDeleted, n),
        ev(EventType.NodeCreated, n));
    w.await(expected.size());
    sync(c.zk, c.base);
    checkEq(w.snapshot(), expected, "persistent watch events");
    c.zk.removeWatches(n, w, Watcher.WatcherType.Any, false);
    other.setData(n, b("after"), -1);
    sync(c.zk, n);
    List<String> tail = w.snapshot().subList(expected.size(), w.snapshot().size());
    checkEq(tail, List.of(ev(EventType.PersistentWatchRemoved, n)),
        "after removing the persistent watch");
  }

  static void testPersistentRecursiveWatch(Ctx c) throws Exception {
    ZooKeeper other = c.openOther();
    Events w = new Events();
    String r = c.p("r");
    c.zk.addWatch(r, w, AddWatchMode.PERSISTENT_RECURSIVE);
    sync(c.zk, c.base);  // the connection still works after the addWatch reply
    other.create(r, b(""), OPEN, CreateMode.PERSISTENT);
    other.create(r + "/a", b(""), OPEN, CreateMode.PERSISTENT);
    other.create(r + "/a/b", b(""), OPEN, CreateMode.PERSISTENT);
    other.setData(r + "/a/b", b("x"), -1);
    other.create(c.p("rx"), b(""), OPEN, CreateMode.PERSISTENT);  // a name prefix only
    other.delete(r + "/a/b", -1);
    other.setACL(r + "/a", OPEN, -1);  // no event for ACL changes
    List<String> expected = List.of(ev(EventType.NodeCreated, r),
        ev(EventType.NodeCreated, r + "/a"), ev(EventType.NodeCreated, r + "/a/b"),
        ev(EventType.NodeDataChanged, r + "/a/b"), ev(EventType.NodeDeleted, r + "/a/b"));
    w.await(expected.size());
    sync(c.zk, c.base);
    checkEq(w.snapshot(), expected, "persistent recursive watch events");
  }

  // ---- tests: multi ----

  static void testMulti(Ctx c) throws Exception {
    c.zk.create(c.p("old"), b("v0"), OPEN, CreateMode.PERSISTENT);
    c.zk.create(c.p("gone"), b(""), OPEN, CreateMode.PERSISTENT);
    List<OpResult> res = c.zk.multi(List.of(
        Op.create(c.p("new"), b("n"), OPEN, CreateMode.PERSISTENT),
        Op.setData(c.p("old"), b("v1"), 0), Op.check(c.p("old"), 1),
        Op.delete(c.p("gone"), -1)));
    checkEq(res.size(), 4, "results");
    check(res.get(0) instanceof OpResult.CreateResult, "create result: " + res.get(0));
    checkEq(((OpResult.CreateResult) res.get(0)).getPath(), c.p("new"), "created path");
    check(res.get(1) instanceof OpResult.SetDataResult, "setData result: " + res.get(1));
    checkEq(((OpResult.SetDataResult) res.get(1)).getStat().getVersion(), 1, "setData version");
    check(res.get(2) instanceof OpResult.CheckResult, "check result: " + res.get(2));
    check(res.get(3) instanceof OpResult.DeleteResult, "delete result: " + res.get(3));
    Stat nw = c.zk.exists(c.p("new"), false);
    Stat old = c.zk.exists(c.p("old"), false);
    checkEq(nw.getCzxid(), old.getMzxid(), "one zxid for the whole multi");
    check(c.zk.exists(c.p("gone"), false) == null, "deleted in the multi");

    KeeperException e = expectCode(Code.BADVERSION, "a multi with a failing check",
        () -> c.zk.multi(List.of(Op.create(c.p("x"), b(""), OPEN, CreateMode.PERSISTENT),
            Op.check(c.p("old"), 5), Op.setData(c.p("old"), b("v2"), -1))));
    List<Integer> errs = new ArrayList<>();
    for (OpResult r : e.getResults()) {
      check(r instanceof OpResult.ErrorResult, "an error result: " + r);
      errs.add(((OpResult.ErrorResult) r).getErr());
    }
    checkEq(errs, List.of(Code.OK.intValue(), Code.BADVERSION.intValue(),
        Code.RUNTIMEINCONSISTENCY.intValue()), "per-op errors");
    check(c.zk.exists(c.p("x"), false) == null, "the failed multi's create was rolled back");
    checkEq(str(c.zk.getData(c.p("old"), false, null)), "v1", "the failed multi changed nothing");

    List<OpResult> tx = c.zk.transaction()
        .create(c.p("t"), b(""), OPEN, CreateMode.PERSISTENT)
        .create(c.p("t", "s-"), b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL)
        .commit();
    checkEq(((OpResult.CreateResult) tx.get(1)).getPath(), c.p("t", "s-0000000000"),
        "a multi sees its own earlier ops");

    // Read ops: a failing one does not stop the others, nor fail the multi.
    List<OpResult> rr = c.zk.multi(List.of(Op.getChildren(c.p("t")), Op.getData(c.p("old")),
        Op.getData(c.p("missing"))));
    checkEq(rr.size(), 3, "multi read results");
    check(rr.get(0) instanceof OpResult.GetChildrenResult, "getChildren result: " + rr.get(0));
    checkEq(((OpResult.GetChildrenResult) rr.get(0)).getChildren(), List.of("s-0000000000"),
        "multi read children");
    check(rr.get(1) instanceof OpResult.GetDataResult, "getData result: " + rr.get(1));
    checkEq(str(((OpResult.GetDataResult) rr.get(1)).getData()), "v1", "multi read data");
    checkEq(((OpResult.GetDataResult) rr.get(1)).getStat(), c.zk.exists(c.p("old"), false),
        "multi read Stat");
    check(rr.get(2) instanceof OpResult.ErrorResult, "error result: " + rr.get(2));
    checkEq(((OpResult.ErrorResult) rr.get(2)).getErr(), Code.NONODE.intValue(),
        "multi read error");
  }

  // ---- tests: ACLs ----

  static void testDigestAcl(Ctx c) throws Exception {
    ACL alice = new ACL(Perms.ALL, new Id("digest", digest("alice:pw")));
    c.zk.create(c.p("d"), b("secret"), acls(alice), CreateMode.PERSISTENT);
    expectCode(Code.NOAUTH, "read without auth", () -> c.zk.getData(c.p("d"), false, null));
    ZooKeeper a = c.open();
    a.addAuthInfo("digest", b("alice:pw"));
    checkEq(str(a.getData(c.p("d"), false, null)), "secret", "read as alice");
    a.setData(c.p("d"), b("new"), -1);
    checkEq(a.getACL(c.p("d"), new Stat()), List.of(alice), "alice reads the ACL");
    ZooKeeper wrong = c.open();
    wrong.addAuthInfo("digest", b("alice:wrong"));
    expectCode(Code.NOAUTH, "a wrong password", () -> wrong.getData(c.p("d"), false, null));
    expectCode(Code.NOAUTH, "setData without auth", () -> c.zk.setData(c.p("d"), b("x"), -1));
    Stat st = a.setACL(c.p("d"), acls(alice, new ACL(Perms.READ, Ids.ANYONE_ID_UNSAFE)), 0);
    checkEq(st.getAversion(), 1, "aversion after setACL");
    expectCode(Code.BADVERSION, "setACL with a stale version",
        () -> a.setACL(c.p("d"), acls(alice), 0));
    checkEq(str(c.zk.getData(c.p("d"), false, null)), "new", "world may read now");
    // Without ADMIN, digest ids come back masked.
    List<String> seen = new ArrayList<>();
    for (ACL acl : c.zk.getACL(c.p("d"), new Stat())) {
      seen.add(acl.getPerms() + " " + acl.getId().getScheme() + ":" + acl.getId().getId());
    }
    checkEq(sorted(seen), List.of("1 world:anyone", "31 digest:alice:x"), "a masked getACL");
  }

  static void testAclPermissions(Ctx c) throws Exception {
    c.zk.create(c.p("ro"), b("v"), Ids.READ_ACL_UNSAFE, CreateMode.PERSISTENT);
    checkEq(str(c.zk.getData(c.p("ro"), false, null)), "v", "read a read-only node");
    expectCode(Code.NOAUTH, "setData", () -> c.zk.setData(c.p("ro"), b("w"), -1));
    expectCode(Code.NOAUTH, "create a child",
        () -> c.zk.create(c.p("ro", "k"), b(""), OPEN, CreateMode.PERSISTENT));
    expectCode(Code.NOAUTH, "setACL", () -> c.zk.setACL(c.p("ro"), OPEN, -1));

    // "auth" uses the caller's authenticated ids, and needs one.
    expectCode(Code.INVALIDACL, "creator ACL without auth",
        () -> c.zk.create(c.p("a"), b(""), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
    ZooKeeper bob = c.open();
    bob.addAuthInfo("digest", b("bob:pw"));
    bob.create(c.p("a"), b("b"), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
    checkEq(bob.getACL(c.p("a"), new Stat()),
        List.of(new ACL(Perms.ALL, new Id("digest", digest("bob:pw")))), "creator ACL");
    expectCode(Code.NOAUTH, "someone else", () -> c.zk.getData(c.p("a"), false, null));
    Set<String> who = new TreeSet<>();
    for (ClientInfo ci : bob.whoAmI()) who.add(ci.getAuthScheme() + ":" + ci.getUser());
    checkEq(who, new TreeSet<>(List.of("digest:bob", "ip:127.0.0.1")), "whoAmI");

    // The super user passes every ACL; a wrong super password does not.
    ZooKeeper root = c.open();
    root.addAuthInfo("digest", b("super:" + superPassword));
    root.setData(c.p("a"), b("root"), -1);
    checkEq(str(root.getData(c.p("a"), false, null)), "root", "super reads");
    ZooKeeper notRoot = c.open();
    notRoot.addAuthInfo("digest", b("super:not-the-password"));
    expectCode(Code.NOAUTH, "a wrong super password",
        () -> notRoot.getData(c.p("a"), false, null));
    // Deleting needs DELETE on the parent, not on the node.
    root.create(c.p("nothing"), b(""), acls(new ACL(0, Ids.ANYONE_ID_UNSAFE)),
        CreateMode.PERSISTENT);
    c.zk.delete(c.p("nothing"), -1);
  }

  // ---- tests: sync, ephemerals, counts ----

  static void testSyncSeesOtherMembersWrite(Ctx c) throws Exception {
    ZooKeeper other = c.openOther();
    for (int i = 0; i < 5; ++i) {
      String path = c.p("w" + i);
      other.create(path, b("v" + i), OPEN, CreateMode.PERSISTENT);
      sync(c.zk, path);
      checkEq(str(c.zk.getData(path, false, null)), "v" + i, "read after sync");
    }
    sync(c.zk, "/");
  }

  static void testEphemeralsAndChildrenNumber(Ctx c) throws Exception {
    ZooKeeper mine = c.open();
    ZooKeeper other = c.open();
    c.zk.create(c.p("e"), b(""), OPEN, CreateMode.PERSISTENT);
    mine.create(c.p("e", "a"), b(""), OPEN, CreateMode.EPHEMERAL);
    mine.create(c.p("e", "b"), b(""), OPEN, CreateMode.EPHEMERAL);
    mine.create(c.p("x"), b(""), OPEN, CreateMode.EPHEMERAL);
    other.create(c.p("e", "c"), b(""), OPEN, CreateMode.EPHEMERAL);
    checkEq(sorted(mine.getEphemerals(c.p("e"))), List.of(c.p("e", "a"), c.p("e", "b")),
        "getEphemerals under a prefix");
    checkEq(sorted(mine.getEphemerals()), List.of(c.p("e", "a"), c.p("e", "b"), c.p("x")),
        "getEphemerals");
    checkEq(other.getEphemerals(c.base), List.of(c.p("e", "c")), "another session's");
    checkEq(c.open().getEphemerals(), List.of(), "a new session has none");

    c.zk.create(c.p("t"), b(""), OPEN, CreateMode.PERSISTENT);
    for (String p : List.of("a", "a/b", "a/b/c", "a/d", "ab")) {
      c.zk.create(c.p("t") + "/" + p, b(""), OPEN, CreateMode.PERSISTENT);
    }
    checkEq(c.zk.getAllChildrenNumber(c.p("t", "a")), 3, "descendants of a");
    checkEq(c.zk.getAllChildrenNumber(c.p("t")), 5, "descendants of t");
    checkEq(c.zk.getAllChildrenNumber(c.p("t", "ab")), 0, "a name prefix is no descendant");
    expectCode(Code.NONODE, "a missing node",
        () -> c.zk.getAllChildrenNumber(c.p("t", "none")));
  }

  // ---- main ----

  interface Body {
    void run(Ctx c) throws Exception;
  }

  record Test(String name, Body body) {}

  static final List<Test> TESTS = List.of(
      new Test("session_negotiation", JavaClientCompat::testSessionNegotiation),
      new Test("create_modes_and_stat", JavaClientCompat::testCreateModesAndStat),
      new Test("null_data", JavaClientCompat::testNullData),
      new Test("container_and_ttl", JavaClientCompat::testContainerAndTtl),
      new Test("data_and_versions", JavaClientCompat::testDataAndVersions),
      new Test("exists_and_children", JavaClientCompat::testExistsAndChildren),
      new Test("delete_errors", JavaClientCompat::testDeleteErrors),
      new Test("data_watch_fires_once", JavaClientCompat::testDataWatchFiresOnce),
      new Test("exists_watch_fires_once", JavaClientCompat::testExistsWatchFiresOnce),
      new Test("child_watch_fires_once", JavaClientCompat::testChildWatchFiresOnce),
      new Test("remove_watches", JavaClientCompat::testRemoveWatches),
      new Test("persistent_watch", JavaClientCompat::testPersistentWatch),
      new Test("persistent_recursive_watch", JavaClientCompat::testPersistentRecursiveWatch),
      new Test("multi", JavaClientCompat::testMulti),
      new Test("digest_acl", JavaClientCompat::testDigestAcl),
      new Test("acl_permissions", JavaClientCompat::testAclPermissions),
      new Test("sync_sees_other_members_write", JavaClientCompat::testSyncSeesOtherMembersWrite),
      new Test("ephemerals_and_children_number",
          JavaClientCompat::testEphemeralsAndChildrenNumber),
      new Test("close_removes_ephemerals", JavaClientCompat::testCloseRemovesEphemerals),
      new Test("expiry_removes_ephemerals", JavaClientCompat::testExpiryRemovesEphemerals),
      new Test("reconnect_to_other_member", JavaClientCompat::testReconnectToOtherMember),
      new Test("watches_survive_reconnect", JavaClientCompat::testWatchesSurviveReconnect),
      new Test("reattach_on_other_member", JavaClientCompat::testReattachOnOtherMember));

  static String describe(Throwable t) {
    if (t instanceof CheckFailed) return t.getMessage();
    StackTraceElement at = null;
    for (StackTraceElement el : t.getStackTrace()) {
      if (el.getClassName().startsWith("JavaClientCompat")) {
        at = el;
        break;
      }
    }
    return "unexpected " + t + (at != null ? " at line " + at.getLineNumber() : "");
  }

  // Removes the test's tree as the super user (tests leave nodes with restrictive ACLs).
  static void cleanUp(String base) {
    Ctx admin = new Ctx(base);
    try {
      ZooKeeper root = admin.sessionAt(hosts, DEFAULT_TIMEOUT_MS).zk;
      root.addAuthInfo("digest", b("super:" + superPassword));
      // The test's sessions are closed; their ephemerals may have gone through other members.
      sync(root, "/");
      if (root.exists(base, false) != null) ZKUtil.deleteRecursive(root, base);
    } catch (Exception e) {
      System.out.println("  (cleanup of " + base + " failed: " + e + ")");
    } finally {
      admin.closeAll();
    }
  }

  static int runTest(Test t) {
    Ctx c = new Ctx("/java_" + t.name());
    String failure = null;
    try {
      c.zk = c.sessionAt(hosts, DEFAULT_TIMEOUT_MS).zk;
      c.zk.create(c.base, b(""), OPEN, CreateMode.PERSISTENT);
      t.body().run(c);
    } catch (Throwable e) {
      failure = describe(e);
    } finally {
      c.closeAll();
    }
    cleanUp(c.base);
    if (failure != null) System.out.println("  FAILED: " + failure);
    return failure == null ? 0 : 1;
  }

  static boolean parseArgs(String[] args, List<String> only) {
    for (int i = 0; i < args.length; ++i) {
      String a = args[i];
      if (!a.startsWith("--")) {
        only.add(a);
        continue;
      }
      if (i + 1 >= args.length) return false;
      String v = args[++i];
      switch (a) {
        case "--hosts" -> hosts = v;
        case "--others" -> others = Arrays.asList(v.split(","));
        case "--server" -> server = v;
        case "--super-password" -> superPassword = v;
        case "--min-timeout" -> minTimeoutMs = Integer.parseInt(v);
        case "--max-timeout" -> maxTimeoutMs = Integer.parseInt(v);
        case "--expect-fail" -> expectFail.add(v);
        default -> {
          return false;
        }
      }
    }
    return hosts != null && !others.isEmpty() && server != null && superPassword != null
        && minTimeoutMs > 0 && maxTimeoutMs > 0;
  }

  public static void main(String[] args) {
    List<String> only = new ArrayList<>();
    if (!parseArgs(args, only)) {
      System.err.println("usage: JavaClientCompat --hosts H:P --others H:P[,H:P...] "
          + "--server zookeeper|conclave --super-password PW --min-timeout MS "
          + "--max-timeout MS [--expect-fail TEST]... [test...]");
      System.exit(2);
    }
    for (String name : only) {
      if (TESTS.stream().noneMatch(t -> t.name().equals(name))) {
        System.err.println("no test called " + name);
        System.exit(2);
      }
    }
    int failures = 0;
    int run = 0;
    int xfails = 0;
    for (Test t : TESTS) {
      if (!only.isEmpty() && !only.contains(t.name())) continue;
      ++run;
      long started = System.currentTimeMillis();
      boolean failed = runTest(t) != 0;
      boolean expected = expectFail.contains(t.name());
      String word = failed ? (expected ? "xfail" : "FAIL") : (expected ? "XPASS" : "ok  ");
      if (failed && expected) {
        ++xfails;
      } else if (failed || expected) {
        ++failures;
      }
      System.out.printf("%s %s (%d ms)%n", word, t.name(), System.currentTimeMillis() - started);
      System.out.flush();
    }
    if (xfails > 0) System.out.printf("%d known failures (xfail)%n", xfails);
    System.out.printf("%d of %d tests failed against %s%n", failures, run, server);
    System.out.flush();
    System.exit(failures == 0 && run > 0 ? 0 : 1);
  }
}
