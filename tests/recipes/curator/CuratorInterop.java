// Apache Curator's lock and leader latch in the shape of our example programs
// (recipes/examples/lock_counter.cc and leader_demo.cc): the same arguments, the same output,
// so curator_interop_test.py can run them side by side with ours on one lock or election path.
// Curator names its contender nodes _c_<uuid>-lock-<seq> (InterProcessMutex) and
// _c_<uuid>-latch-<seq> (LeaderLatch), the layout our recipes use, so the two queue together.
//
//   CuratorInterop lock_counter HOSTS LOCK_PATH COUNTER_PATH N
//     N times: acquire an InterProcessMutex on LOCK_PATH, read the integer in COUNTER_PATH
//     (creating it with 0 if absent), write it back plus one WITHOUT a version check, print
//     "inc <new value>", release. Prints "lock_counter: session 0x<id>" on stderr once
//     connected. Exit status 0 done, 1 an error, 2 usage, 3 the connection was lost while the
//     lock was held (Curator's contract: SUSPENDED means the lock may be gone), before a write
//     or with its outcome unknown.
//
//   CuratorInterop leader_demo HOSTS ELECTION_PATH NAME
//     Takes part in a LeaderLatch election as NAME until SIGTERM/SIGINT; prints
//     "<unix ms> LEADER <NAME>" and "<unix ms> LOST <NAME>" as leadership comes and goes. On
//     SIGTERM a leader prints LOST before its node is deleted, then leaves; exit status 0.
//
// CONCLAVE_SESSION_TIMEOUT_MS sets the session timeout, as for our examples (default 10 s).
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;

public final class CuratorInterop {
  static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;
  static final int CONNECT_WAIT_S = 60;  // generous: a loaded test machine is slow to connect

  static int sessionTimeoutMs() {
    String v = System.getenv("CONCLAVE_SESSION_TIMEOUT_MS");
    try {
      int ms = v == null ? 0 : Integer.parseInt(v);
      return ms > 0 ? ms : DEFAULT_SESSION_TIMEOUT_MS;
    } catch (NumberFormatException e) {
      return DEFAULT_SESSION_TIMEOUT_MS;
    }
  }

  static CuratorFramework connect(String hosts) throws InterruptedException {
    CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(hosts)
        .sessionTimeoutMs(sessionTimeoutMs())
        .connectionTimeoutMs(15_000)
        .retryPolicy(new ExponentialBackoffRetry(100, 10, 2000))
        .build();
    client.start();
    if (!client.blockUntilConnected(CONNECT_WAIT_S, TimeUnit.SECONDS)) {
      System.err.println("cannot connect to " + hosts);
      System.exit(1);
    }
    return client;
  }

  // ---- lock_counter ----

  static int lockCounter(String hosts, String lockPath, String counterPath, long n)
      throws Exception {
    CuratorFramework client = connect(hosts);
    // Counts SUSPENDED and LOST: a change while the lock is held means it may be gone.
    AtomicLong disruptions = new AtomicLong();
    client.getConnectionStateListenable().addListener((c, state) -> {
      if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
        disruptions.incrementAndGet();
      }
    });
    System.err.printf("lock_counter: session 0x%x%n",
        client.getZookeeperClient().getZooKeeper().getSessionId());
    InterProcessMutex mutex = new InterProcessMutex(client, lockPath);
    for (long i = 0; i < n; ++i) {
      mutex.acquire();
      long held = disruptions.get();
      long value = readCounter(client, counterPath);
      if (disruptions.get() != held) {
        System.err.println("lock_counter: the connection dropped while holding the lock");
        return 3;
      }
      // The plain ZooKeeper handle, not Curator's retrying setData: a write whose outcome is
      // unknown after a connection loss must not be repeated blindly.
      ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
      try {
        zk.setData(counterPath, Long.toString(value + 1).getBytes(StandardCharsets.UTF_8), -1);
      } catch (KeeperException.ConnectionLossException e) {
        System.err.println("lock_counter: connection lost while writing " + (value + 1));
        return 3;
      }
      System.out.println("inc " + (value + 1));
      System.out.flush();
      mutex.release();
    }
    client.close();
    return 0;
  }

  static long readCounter(CuratorFramework client, String path) throws Exception {
    for (; ; ) {
      try {
        String s = new String(client.getData().forPath(path), StandardCharsets.UTF_8);
        return Long.parseLong(s);
      } catch (KeeperException.NoNodeException e) {
        try {
          client.create().creatingParentContainersIfNeeded()
              .forPath(path, "0".getBytes(StandardCharsets.UTF_8));
        } catch (KeeperException.NodeExistsException ignored) {
          // another process made it first
        }
      }
    }
  }

  // ---- leader_demo ----

  static void print(String word, String name) {
    System.out.println(System.currentTimeMillis() + " " + word + " " + name);
    System.out.flush();
  }

  static int leaderDemo(String hosts, String path, String name) throws Exception {
    Object printLock = new Object();
    boolean[] leading = {false};
    boolean[] stopping = {false};
    CountDownLatch left = new CountDownLatch(1);

    CuratorFramework client = connect(hosts);
    LeaderLatch latch = new LeaderLatch(client, path, name);
    latch.addListener(new LeaderLatchListener() {
      @Override
      public void isLeader() {
        report(true);
      }

      @Override
      public void notLeader() {
        report(false);
      }

      // Prints each change once; nothing after the process started to leave.
      private void report(boolean leader) {
        synchronized (printLock) {
          if (stopping[0] || leading[0] == leader) return;
          leading[0] = leader;
          print(leader ? "LEADER" : "LOST", name);
        }
      }
    });
    // SIGTERM/SIGINT: a leader says LOST before its node goes, so its successor's LEADER line
    // comes later; then the node is deleted and the session closed. The exit status is 0.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      synchronized (printLock) {
        stopping[0] = true;
        if (leading[0]) print("LOST", name);
        leading[0] = false;
      }
      try {
        latch.close(LeaderLatch.CloseMode.SILENT);
      } catch (Exception e) {
        System.err.println("leader_demo: close: " + e);
      }
      client.close();
      left.countDown();
      System.out.flush();
      Runtime.getRuntime().halt(0);
    }));
    latch.start();
    left.await();
    return 0;
  }

  public static void main(String[] args) throws Exception {
    int status;
    if (args.length == 5 && args[0].equals("lock_counter")) {
      status = lockCounter(args[1], args[2], args[3], Long.parseLong(args[4]));
    } else if (args.length == 4 && args[0].equals("leader_demo")) {
      status = leaderDemo(args[1], args[2], args[3]);
    } else {
      System.err.println("usage: CuratorInterop lock_counter HOSTS LOCK_PATH COUNTER_PATH N\n"
          + "       CuratorInterop leader_demo HOSTS ELECTION_PATH NAME");
      status = 2;
    }
    System.exit(status);
  }
}
