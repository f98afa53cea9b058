// ZooKeeper compatibility tests on the official C client (libzookeeper_mt), run by
// run_c_compat.py against Apache ZooKeeper 3.8 and against Conclave with the same
// expectations. Covers the sync API and a set of async calls: node types and Stat fields,
// errors, ACLs and auth, multi results, one-shot watches and watch removal, sessions
// (timeout negotiation, re-attach with id and password, wrong password, expiry).
//
//   c_client_compat --hosts 127.0.0.1:PORT --server zookeeper|conclave
//                   --super-password PW --min-timeout MS --max-timeout MS [test...]
//
// Waiting is always for a condition with a deadline. "No event fired" is proven with an async
// round trip on the watching handle (drain()): the server sends a watch event before the reply
// to any later request on that connection, and the client delivers both in order on its
// completion thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include <atomic>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDeadline = std::chrono::seconds(20);
constexpr int kDefaultTimeoutMs = 6000;
constexpr int kJuteMaxBuffer = 1048575;

struct Options {
  std::string hosts;
  std::string server;
  std::string super_password;
  int min_timeout_ms = 0;
  int max_timeout_ms = 0;
  std::vector<std::string> only;
} g_opt;

int g_failures = 0;
bool g_test_failed = false;

void report_failure(const char* file, int line, const std::string& what) {
  std::printf("  FAILED %s:%d: %s\n", file, line, what.c_str());
  std::fflush(stdout);
  g_test_failed = true;
}

std::string show(int v) {
  return std::to_string(v);
}
std::string show(int64_t v) {
  return std::to_string(v);
}
std::string show(size_t v) {
  return std::to_string(v);
}
std::string show(const std::string& v) {
  return "\"" + v + "\"";
}

#define CHECK(cond)                                           \
  do {                                                        \
    if (!(cond)) {                                            \
      report_failure(__FILE__, __LINE__, "CHECK(" #cond ")"); \
      return;                                                 \
    }                                                         \
  } while (0)

#define CHECK_EQ(a, b)                                                                 \
  do {                                                                                 \
    auto va_ = (a);                                                                    \
    decltype(va_) vb_ = (b);                                                           \
    if (!(va_ == vb_)) {                                                               \
      report_failure(__FILE__, __LINE__,                                               \
                     std::string(#a " == " #b ": ") + show(va_) + " vs " + show(vb_)); \
      return;                                                                          \
    }                                                                                  \
  } while (0)

#define CHECK_RC(expr, want)                                                                \
  do {                                                                                      \
    int rc_ = (expr);                                                                       \
    if (rc_ != (want)) {                                                                    \
      report_failure(__FILE__, __LINE__,                                                    \
                     std::string(#expr " -> ") + zerror(rc_) + " (" + std::to_string(rc_) + \
                         "), expected " + zerror(want));                                    \
      return;                                                                               \
    }                                                                                       \
  } while (0)

// ---- events and sessions ----

struct Event {
  int type;
  std::string path;
  bool operator==(const Event&) const = default;
};

std::string show(const std::vector<Event>& v) {
  std::string s = "[";
  for (const auto& e : v)
    s += "(" + std::to_string(e.type) + "," + e.path + ")";
  return s + "]";
}

// Watch events delivered to one watcher context.
class EventLog {
 public:
  void add(int type, const char* path) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back({type, path ? path : ""});
    cv_.notify_all();
  }
  bool wait_for_count(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_until(lock, Clock::now() + kDeadline, [&] { return events_.size() >= n; });
  }
  std::vector<Event> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

// Watch contexts live until the process ends: a watch can fire after its test returned
// (when the cleanup deletes the test's nodes).
EventLog& new_log() {
  static std::deque<EventLog> logs;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  return logs.emplace_back();
}

void log_watcher(zhandle_t*, int type, int, const char* path, void* ctx) {
  if (type == ZOO_SESSION_EVENT) return;
  static_cast<EventLog*>(ctx)->add(type, path);
}

// Session state changes of one handle.
class SessionState {
 public:
  void set(int state) {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = state;
    history_.push_back(state);
    cv_.notify_all();
  }
  bool wait_for(int state) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_until(lock, Clock::now() + kDeadline, [&] { return state_ == state; });
  }
  bool seen(int state) {
    std::lock_guard<std::mutex> lock(mu_);
    for (int s : history_)
      if (s == state) return true;
    return false;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int state_ = 0;
  std::vector<int> history_;
};

void session_watcher(zhandle_t*, int type, int state, const char*, void* ctx) {
  if (type == ZOO_SESSION_EVENT) static_cast<SessionState*>(ctx)->set(state);
}

// A TCP relay to the server that can be cut: a client connected through it loses its
// connection and cannot reconnect, while its session lives on at the server until it
// expires, as a crashed or partitioned client's would.
class Relay {
 public:
  Relay() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 8) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::perror("relay");
      std::exit(2);
    }
    port_ = ntohs(addr.sin_port);
    size_t colon = g_opt.hosts.rfind(':');
    server_port_ = std::atoi(g_opt.hosts.c_str() + colon + 1);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~Relay() {
    cut();
    acceptor_.join();
    for (auto& t : pumps_)
      t.join();
    for (int fd : fds_)
      ::close(fd);
  }
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  std::string hosts() const { return "127.0.0.1:" + std::to_string(port_); }
  void cut() {
    std::lock_guard<std::mutex> lock(mu_);
    if (cut_) return;
    cut_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    for (int fd : fds_)
      ::shutdown(fd, SHUT_RDWR);
  }

 private:
  static constexpr int kPollMs = 100;

  void accept_loop() {
    while (true) {
      int client = ::accept(listen_fd_, nullptr, nullptr);
      std::lock_guard<std::mutex> lock(mu_);
      if (client < 0 || cut_) {
        if (client >= 0) ::close(client);
        ::close(listen_fd_);
        return;
      }
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(server_port_));
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(server);
        ::close(client);
        continue;
      }
      fds_.push_back(client);
      fds_.push_back(server);
      pumps_.emplace_back([client, server] { pump(client, server); });
    }
  }
  static void pump(int a, int b) {
    char buf[65536];
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    bool open = true;
    while (open) {
      if (::poll(p, 2, kPollMs) < 0) break;
      for (int i = 0; i < 2 && open; ++i) {
        if (p[i].revents == 0) continue;
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) {
          open = false;
          break;
        }
        for (ssize_t off = 0; off < n;) {
          ssize_t w = ::write(p[1 - i].fd, buf + off, static_cast<size_t>(n - off));
          if (w <= 0) {
            open = false;
            break;
          }
          off += w;
        }
      }
    }
    // Closed only by the destructor, so cut() never shuts down a reused descriptor number.
    ::shutdown(a, SHUT_RDWR);
    ::shutdown(b, SHUT_RDWR);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  int server_port_ = 0;
  std::mutex mu_;
  bool cut_ = false;
  std::vector<int> fds_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

// A handle with its session-state log; closed (session closed) on destruction.
class Handle {
 public:
  explicit Handle(int timeout_ms = kDefaultTimeoutMs, const clientid_t* id = nullptr,
                  const std::string& hosts = g_opt.hosts)
      : state_(new SessionState) {
    zh_ = zookeeper_init(hosts.c_str(), session_watcher, timeout_ms, id, state_, 0);
  }
  ~Handle() {
    if (zh_ != nullptr) zookeeper_close(zh_);
    delete state_;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  bool connected() { return zh_ != nullptr && state_->wait_for(ZOO_CONNECTED_STATE); }
  zhandle_t* zh() const { return zh_; }
  SessionState& state() { return *state_; }
  int64_t session_id() const { return zoo_client_id(zh_)->client_id; }
  void close() {
    zookeeper_close(zh_);
    zh_ = nullptr;
  }

 private:
  zhandle_t* zh_ = nullptr;
  SessionState* state_;
};

// A round trip: every watch event sent to this handle before now has been delivered. It
// must be an async call: the client hands watch events and async completions to its
// completion thread in arrival order, but wakes synchronous callers from its I/O thread.
bool drain(zhandle_t* zh) {
  struct Done {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int rc = ZSYSTEMERROR;
  };
  auto* d = new Done;  // leaked if the deadline passes: the completion may still come
  int rc = zoo_aexists(
      zh, "/", 0,
      [](int rc, const struct Stat*, const void* data) {
        auto* d = static_cast<Done*>(const_cast<void*>(data));
        std::lock_guard<std::mutex> lock(d->mu);
        d->rc = rc;
        d->done = true;
        d->cv.notify_all();
      },
      d);
  if (rc != ZOK) {
    delete d;
    return false;
  }
  bool finished;
  {
    std::unique_lock<std::mutex> lock(d->mu);
    finished = d->cv.wait_until(lock, Clock::now() + kDeadline, [&] { return d->done; });
    rc = d->rc;
  }
  if (finished) delete d;
  return finished && rc == ZOK;
}

bool wait_until(const std::function<bool()>& pred) {
  auto deadline = Clock::now() + kDeadline;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool node_exists(zhandle_t* zh, const std::string& path) {
  struct Stat st;
  return zoo_exists(zh, path.c_str(), 0, &st) == ZOK;
}

std::string get_string(zhandle_t* zh, const std::string& path, struct Stat* st = nullptr) {
  std::vector<char> buf(1 << 16);
  int len = static_cast<int>(buf.size());
  struct Stat local;
  if (zoo_get(zh, path.c_str(), 0, buf.data(), &len, st ? st : &local) != ZOK) return "<error>";
  return len < 0 ? std::string() : std::string(buf.data(), static_cast<size_t>(len));
}

// Deletes a subtree (children first); returns ZOK or the first error.
int delete_tree(zhandle_t* zh, const std::string& path) {
  struct String_vector kids;
  int rc = zoo_get_children(zh, path.c_str(), 0, &kids);
  if (rc != ZOK) return rc;
  for (int i = 0; i < kids.count; ++i) {
    rc = delete_tree(zh, path + "/" + kids.data[i]);
    if (rc != ZOK && rc != ZNONODE) break;
  }
  deallocate_String_vector(&kids);
  return zoo_delete(zh, path.c_str(), -1);
}

struct ACL_vector acl_vector(std::vector<struct ACL>& acls) {
  return ACL_vector{static_cast<int32_t>(acls.size()), acls.data()};
}

// Every test gets a fresh handle and its own top-level node.
struct Ctx {
  Handle& h;
  std::string base;
  zhandle_t* zh() { return h.zh(); }
  std::string p(const std::string& rel) const { return base + "/" + rel; }
};

// ---- tests ----

void test_create_modes_and_stat(Ctx& c) {
  char path[256];
  struct Stat st;
  CHECK_RC(zoo_create2(c.zh(), c.p("a").c_str(), "hello", 5, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
                       path, sizeof path, &st),
           ZOK);
  CHECK_EQ(std::string(path), c.p("a"));
  CHECK_EQ(st.czxid, st.mzxid);
  CHECK_EQ(st.czxid, st.pzxid);
  CHECK_EQ(st.ctime, st.mtime);
  CHECK_EQ(st.version, 0);
  CHECK_EQ(st.cversion, 0);
  CHECK_EQ(st.aversion, 0);
  CHECK_EQ(st.ephemeralOwner, int64_t{0});
  CHECK_EQ(st.dataLength, 5);
  CHECK_EQ(st.numChildren, 0);
  struct Stat parent;
  CHECK_RC(zoo_exists(c.zh(), c.base.c_str(), 0, &parent), ZOK);
  CHECK_EQ(parent.pzxid, st.czxid);
  CHECK_EQ(parent.numChildren, 1);
  CHECK_EQ(parent.cversion, 1);

  CHECK_RC(zoo_create2(c.zh(), c.p("e").c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL,
                       path, sizeof path, &st),
           ZOK);
  CHECK_EQ(st.ephemeralOwner, c.h.session_id());
  CHECK_EQ(st.dataLength, 0);
  CHECK_RC(
      zoo_create(c.zh(), c.p("e/kid").c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
      ZNOCHILDRENFOREPHEMERALS);

  CHECK_RC(zoo_create(c.zh(), c.p("s-").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_SEQUENCE, path,
                      sizeof path),
           ZOK);
  CHECK_EQ(std::string(path), c.p("s-0000000002"));
  CHECK_RC(zoo_create(c.zh(), c.p("es-").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE,
                      ZOO_EPHEMERAL | ZOO_SEQUENCE, path, sizeof path),
           ZOK);
  CHECK_EQ(std::string(path), c.p("es-0000000003"));
  CHECK_RC(zoo_exists(c.zh(), path, 0, &st), ZOK);
  CHECK_EQ(st.ephemeralOwner, c.h.session_id());

  CHECK_RC(zoo_create(c.zh(), c.p("a").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZNODEEXISTS);
  CHECK_RC(zoo_create(c.zh(), c.p("none/kid").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZNONODE);
}

void test_container_and_ttl(Ctx& c) {
  char path[256];
  struct Stat st;
  CHECK_RC(zoo_create2(c.zh(), c.p("box").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_CONTAINER, path,
                       sizeof path, &st),
           ZOK);
  CHECK_EQ(std::string(path), c.p("box"));
  CHECK_EQ(st.ephemeralOwner, int64_t{0});  // the container marker is not shown to clients
  CHECK_RC(zoo_create(c.zh(), c.p("box/kid").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZOK);
  CHECK_RC(zoo_delete(c.zh(), c.p("box/kid").c_str(), -1), ZOK);
  CHECK(wait_until([&] { return !node_exists(c.zh(), c.p("box")); }));

  CHECK_RC(zoo_create2_ttl(c.zh(), c.p("ttl").c_str(), "x", 1, &ZOO_OPEN_ACL_UNSAFE,
                           ZOO_PERSISTENT_WITH_TTL, 300, path, sizeof path, &st),
           ZOK);
  CHECK_EQ(std::string(path), c.p("ttl"));
  CHECK_EQ(st.ephemeralOwner, int64_t{0});
  CHECK_RC(zoo_create2_ttl(c.zh(), c.p("keep-").c_str(), "x", 1, &ZOO_OPEN_ACL_UNSAFE,
                           ZOO_PERSISTENT_SEQUENTIAL_WITH_TTL, 600000, path, sizeof path, &st),
           ZOK);
  CHECK_EQ(std::string(path), c.p("keep-0000000002"));
  CHECK(wait_until([&] { return !node_exists(c.zh(), c.p("ttl")); }));
  CHECK(node_exists(c.zh(), c.p("keep-0000000002")));
  CHECK_RC(zoo_create_ttl(c.zh(), c.p("bad").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE,
                          ZOO_PERSISTENT_WITH_TTL, 0, nullptr, 0),
           ZBADARGUMENTS);
}

void test_set_get_delete(Ctx& c) {
  struct Stat created;
  char path[256];
  CHECK_RC(zoo_create2(c.zh(), c.p("n").c_str(), "v0", 2, &ZOO_OPEN_ACL_UNSAFE, 0, path,
                       sizeof path, &created),
           ZOK);
  struct Stat st;
  CHECK_RC(zoo_set2(c.zh(), c.p("n").c_str(), "value1", 6, 0, &st), ZOK);
  CHECK_EQ(st.version, 1);
  CHECK(st.mzxid > created.mzxid);
  CHECK_EQ(st.czxid, created.czxid);
  CHECK_EQ(st.pzxid, created.pzxid);
  CHECK_EQ(st.dataLength, 6);
  CHECK(st.mtime >= created.mtime);
  struct Stat got;
  CHECK_EQ(get_string(c.zh(), c.p("n"), &got), std::string("value1"));
  CHECK(std::memcmp(&got, &st, sizeof st) == 0);
  CHECK_RC(zoo_set(c.zh(), c.p("n").c_str(), "x", 1, 0), ZBADVERSION);
  CHECK_RC(zoo_set(c.zh(), c.p("missing").c_str(), "x", 1, -1), ZNONODE);

  CHECK_RC(zoo_create(c.zh(), c.p("n/kid").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZOK);
  CHECK_RC(zoo_delete(c.zh(), c.p("n").c_str(), -1), ZNOTEMPTY);
  CHECK_RC(zoo_delete(c.zh(), c.p("n/kid").c_str(), 5), ZBADVERSION);
  struct Stat before;
  CHECK_RC(zoo_exists(c.zh(), c.p("n").c_str(), 0, &before), ZOK);
  CHECK_RC(zoo_delete(c.zh(), c.p("n/kid").c_str(), 0), ZOK);
  struct Stat after;
  CHECK_RC(zoo_exists(c.zh(), c.p("n").c_str(), 0, &after), ZOK);
  CHECK_EQ(after.cversion, before.cversion + 1);
  CHECK_EQ(after.numChildren, 0);
  CHECK(after.pzxid > before.pzxid);
  CHECK_EQ(after.mzxid, before.mzxid);
  CHECK_RC(zoo_delete(c.zh(), c.p("n/kid").c_str(), -1), ZNONODE);
  CHECK_RC(zoo_exists(c.zh(), c.p("n/kid").c_str(), 0, &st), ZNONODE);
}

void test_children(Ctx& c) {
  for (const char* name : {"b", "a", "c"}) {
    CHECK_RC(zoo_create(c.zh(), c.p(name).c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
             ZOK);
  }
  struct String_vector kids;
  CHECK_RC(zoo_get_children(c.zh(), c.base.c_str(), 0, &kids), ZOK);
  std::vector<std::string> names(kids.data, kids.data + kids.count);
  deallocate_String_vector(&kids);
  std::sort(names.begin(), names.end());
  CHECK(names == (std::vector<std::string>{"a", "b", "c"}));
  struct Stat st;
  CHECK_RC(zoo_get_children2(c.zh(), c.base.c_str(), 0, &kids, &st), ZOK);
  CHECK_EQ(kids.count, 3);
  deallocate_String_vector(&kids);
  CHECK_EQ(st.numChildren, 3);
  CHECK_EQ(st.cversion, 3);
  CHECK_RC(zoo_get_children(c.zh(), c.p("none").c_str(), 0, &kids), ZNONODE);
}

void test_acl_and_auth(Ctx& c) {
  std::string digest = "alice:" + std::string("V55/p2T0OpjQ+low3NVAH4aLvm0=");  // alice:pw
  std::vector<struct ACL> acls{{ZOO_PERM_ALL, {const_cast<char*>("digest"), digest.data()}}};
  struct ACL_vector av = acl_vector(acls);
  CHECK_RC(zoo_create(c.zh(), c.p("d").c_str(), "secret", 6, &av, 0, nullptr, 0), ZOK);
  char buf[64];
  int len = sizeof buf;
  struct Stat st;
  CHECK_RC(zoo_get(c.zh(), c.p("d").c_str(), 0, buf, &len, &st), ZNOAUTH);
  CHECK_RC(zoo_set(c.zh(), c.p("d").c_str(), "x", 1, -1), ZNOAUTH);

  Handle alice;
  CHECK(alice.connected());
  CHECK_RC(zoo_add_auth(alice.zh(), "digest", "alice:pw", 8, nullptr, nullptr), ZOK);
  len = sizeof buf;
  CHECK_RC(zoo_get(alice.zh(), c.p("d").c_str(), 0, buf, &len, &st), ZOK);
  CHECK_EQ(std::string(buf, static_cast<size_t>(len)), std::string("secret"));
  struct ACL_vector got;
  CHECK_RC(zoo_get_acl(alice.zh(), c.p("d").c_str(), &got, &st), ZOK);
  CHECK_EQ(got.count, 1);
  CHECK_EQ(std::string(got.data[0].id.id), digest);
  deallocate_ACL_vector(&got);

  // setACL: checked against aversion, which it bumps; version and mzxid stay.
  CHECK_RC(zoo_set_acl(alice.zh(), c.p("d").c_str(), 3, &ZOO_READ_ACL_UNSAFE), ZBADVERSION);
  CHECK_RC(zoo_set_acl(alice.zh(), c.p("d").c_str(), 0, &ZOO_READ_ACL_UNSAFE), ZOK);
  struct Stat after;
  CHECK_RC(zoo_exists(c.zh(), c.p("d").c_str(), 0, &after), ZOK);
  CHECK_EQ(after.aversion, 1);
  CHECK_EQ(after.version, 0);
  CHECK_EQ(after.mzxid, st.mzxid);
  CHECK_RC(zoo_set(alice.zh(), c.p("d").c_str(), "x", 1, -1), ZNOAUTH);

  // The super digest may do anything.
  Handle root;
  CHECK(root.connected());
  std::string cred = "super:" + g_opt.super_password;
  CHECK_RC(zoo_add_auth(root.zh(), "digest", cred.c_str(), static_cast<int>(cred.size()), nullptr,
                        nullptr),
           ZOK);
  CHECK_RC(zoo_set(root.zh(), c.p("d").c_str(), "root", 4, -1), ZOK);

  // An empty ACL and an auth ACL without authenticated ids are invalid.
  struct ACL_vector empty {
    0, nullptr
  };
  CHECK_RC(zoo_create(c.zh(), c.p("bad").c_str(), "", 0, &empty, 0, nullptr, 0), ZINVALIDACL);
  CHECK_RC(zoo_create(c.zh(), c.p("bad").c_str(), "", 0, &ZOO_CREATOR_ALL_ACL, 0, nullptr, 0),
           ZINVALIDACL);
  CHECK_RC(zoo_create(alice.zh(), c.p("mine").c_str(), "", 0, &ZOO_CREATOR_ALL_ACL, 0, nullptr, 0),
           ZOK);
  CHECK_RC(zoo_get_acl(alice.zh(), c.p("mine").c_str(), &got, &st), ZOK);
  CHECK_EQ(got.count, 1);
  CHECK_EQ(std::string(got.data[0].id.scheme), std::string("digest"));
  CHECK_EQ(std::string(got.data[0].id.id), digest);
  deallocate_ACL_vector(&got);

  // ip scheme.
  std::vector<struct ACL> ip{
      {ZOO_PERM_ALL, {const_cast<char*>("ip"), const_cast<char*>("10.9.9.9")}}};
  struct ACL_vector ipv = acl_vector(ip);
  CHECK_RC(zoo_create(c.zh(), c.p("far").c_str(), "", 0, &ipv, 0, nullptr, 0), ZOK);
  len = sizeof buf;
  CHECK_RC(zoo_get(c.zh(), c.p("far").c_str(), 0, buf, &len, &st), ZNOAUTH);
}

void test_multi(Ctx& c) {
  CHECK_RC(zoo_create(c.zh(), c.p("old").c_str(), "v0", 2, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZOK);
  CHECK_RC(zoo_create(c.zh(), c.p("gone").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZOK);
  char created[256];
  struct Stat set_stat;
  zoo_op_t ops[4];
  zoo_op_result_t results[4];
  std::string new_path = c.p("new"), old_path = c.p("old"), gone_path = c.p("gone");
  zoo_create_op_init(&ops[0], new_path.c_str(), "n", 1, &ZOO_OPEN_ACL_UNSAFE, 0, created,
                     sizeof created);
  zoo_set_op_init(&ops[1], old_path.c_str(), "v1", 2, 0, &set_stat);
  zoo_check_op_init(&ops[2], old_path.c_str(), 1);
  zoo_delete_op_init(&ops[3], gone_path.c_str(), -1);
  CHECK_RC(zoo_multi(c.zh(), 4, ops, results), ZOK);
  for (auto& r : results)
    CHECK_RC(r.err, ZOK);
  CHECK_EQ(std::string(created), new_path);
  CHECK_EQ(set_stat.version, 1);
  struct Stat st;
  CHECK_RC(zoo_exists(c.zh(), new_path.c_str(), 0, &st), ZOK);
  CHECK_EQ(st.czxid, set_stat.mzxid);  // one zxid for the whole multi
  CHECK(!node_exists(c.zh(), gone_path));

  // Failure: the failing op carries its error, earlier ones ZOK (rolled back), later ones
  // RuntimeInconsistency; nothing is applied.
  std::string x = c.p("x");
  zoo_create_op_init(&ops[0], x.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof created);
  zoo_check_op_init(&ops[1], old_path.c_str(), 7);
  zoo_set_op_init(&ops[2], old_path.c_str(), "v2", 2, -1, &set_stat);
  CHECK_RC(zoo_multi(c.zh(), 3, ops, results), ZBADVERSION);
  CHECK_RC(results[0].err, ZOK);
  CHECK_RC(results[1].err, ZBADVERSION);
  CHECK_RC(results[2].err, ZRUNTIMEINCONSISTENCY);
  CHECK(!node_exists(c.zh(), x));
  CHECK_EQ(get_string(c.zh(), old_path), std::string("v1"));

  // A multi op without permission fails it with NoAuth.
  std::string ro = c.p("ro");
  CHECK_RC(zoo_create(c.zh(), ro.c_str(), "", 0, &ZOO_READ_ACL_UNSAFE, 0, nullptr, 0), ZOK);
  zoo_create_op_init(&ops[0], x.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof created);
  zoo_set_op_init(&ops[1], ro.c_str(), "v", 1, -1, &set_stat);
  CHECK_RC(zoo_multi(c.zh(), 2, ops, results), ZNOAUTH);
  CHECK_RC(results[0].err, ZOK);
  CHECK_RC(results[1].err, ZNOAUTH);
}

void test_watches_one_shot(Ctx& c) {
  Handle other;
  CHECK(other.connected());
  EventLog &exist_ev = new_log(), &data_ev = new_log(), &child_ev = new_log(),
           &parent_ev = new_log();
  struct Stat st;
  std::string n = c.p("n");
  CHECK_RC(zoo_wexists(c.zh(), n.c_str(), log_watcher, &exist_ev, &st), ZNONODE);
  CHECK_RC(zoo_create(other.zh(), n.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0), ZOK);
  CHECK(exist_ev.wait_for_count(1));
  CHECK(exist_ev.events() == (std::vector<Event>{{ZOO_CREATED_EVENT, n}}));

  char buf[16];
  int len = sizeof buf;
  CHECK_RC(zoo_wget(c.zh(), n.c_str(), log_watcher, &data_ev, buf, &len, &st), ZOK);
  struct String_vector kids;
  CHECK_RC(zoo_wget_children(c.zh(), n.c_str(), log_watcher, &child_ev, &kids), ZOK);
  deallocate_String_vector(&kids);
  CHECK_RC(zoo_wget_children2(c.zh(), c.base.c_str(), log_watcher, &parent_ev, &kids, &st), ZOK);
  deallocate_String_vector(&kids);

  CHECK_RC(zoo_set(other.zh(), n.c_str(), "1", 1, -1), ZOK);
  CHECK(data_ev.wait_for_count(1));
  CHECK_RC(zoo_set(other.zh(), n.c_str(), "2", 1, -1), ZOK);  // used up: no second event
  CHECK_RC(zoo_create(other.zh(), c.p("n/k").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZOK);
  CHECK(child_ev.wait_for_count(1));
  CHECK_RC(zoo_set(other.zh(), c.p("n/k").c_str(), "x", 1, -1), ZOK);  // not a child change
  CHECK(drain(c.zh()));
  CHECK_EQ(data_ev.events(), (std::vector<Event>{{ZOO_CHANGED_EVENT, n}}));
  CHECK_EQ(child_ev.events(), (std::vector<Event>{{ZOO_CHILD_EVENT, n}}));
  CHECK_EQ(parent_ev.events(), std::vector<Event>{});
  CHECK_EQ(exist_ev.events().size(), size_t{1});

  // Deletion: data and child watchers on the node see Deleted, the parent's child watcher
  // sees ChildrenChanged.
  EventLog &del_data = new_log(), &del_child = new_log();
  len = sizeof buf;
  CHECK_RC(zoo_wget(c.zh(), c.p("n/k").c_str(), log_watcher, &del_data, buf, &len, &st), ZOK);
  CHECK_RC(zoo_wget_children(c.zh(), c.p("n/k").c_str(), log_watcher, &del_child, &kids), ZOK);
  deallocate_String_vector(&kids);
  EventLog& parent2 = new_log();
  CHECK_RC(zoo_wget_children(c.zh(), n.c_str(), log_watcher, &parent2, &kids), ZOK);
  deallocate_String_vector(&kids);
  CHECK_RC(zoo_delete(other.zh(), c.p("n/k").c_str(), -1), ZOK);
  CHECK(drain(c.zh()));
  CHECK_EQ(del_data.events(), (std::vector<Event>{{ZOO_DELETED_EVENT, c.p("n/k")}}));
  CHECK_EQ(del_child.events(), (std::vector<Event>{{ZOO_DELETED_EVENT, c.p("n/k")}}));
  CHECK_EQ(parent2.events(), (std::vector<Event>{{ZOO_CHILD_EVENT, n}}));

  // setACL fires nothing.
  EventLog& acl_ev = new_log();
  len = sizeof buf;
  CHECK_RC(zoo_wget(c.zh(), n.c_str(), log_watcher, &acl_ev, buf, &len, &st), ZOK);
  CHECK_RC(zoo_set_acl(other.zh(), n.c_str(), -1, &ZOO_OPEN_ACL_UNSAFE), ZOK);
  CHECK(drain(c.zh()));
  CHECK_EQ(acl_ev.events(), std::vector<Event>{});
}

void test_remove_watches(Ctx& c) {
  std::string n = c.p("n");
  CHECK_RC(zoo_create(c.zh(), n.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0), ZOK);
  EventLog& ev = new_log();
  char buf[16];
  int len = sizeof buf;
  struct Stat st;
  CHECK_RC(zoo_wget(c.zh(), n.c_str(), log_watcher, &ev, buf, &len, &st), ZOK);
  CHECK_RC(zoo_remove_watches(c.zh(), n.c_str(), ZWATCHTYPE_DATA, log_watcher, &ev, 0), ZOK);
  CHECK_RC(zoo_set(c.zh(), n.c_str(), "x", 1, -1), ZOK);
  CHECK(drain(c.zh()));
  for (const auto& e : ev.events())  // only the client's own removal notice, if any
    CHECK_EQ(e.type, ZOO_NOTWATCHING_EVENT);
  CHECK_RC(zoo_remove_watches(c.zh(), n.c_str(), ZWATCHTYPE_DATA, log_watcher, &ev, 0), ZNOWATCHER);

  EventLog& both = new_log();
  struct String_vector kids;
  len = sizeof buf;
  CHECK_RC(zoo_wget(c.zh(), n.c_str(), log_watcher, &both, buf, &len, &st), ZOK);
  CHECK_RC(zoo_wget_children(c.zh(), n.c_str(), log_watcher, &both, &kids), ZOK);
  deallocate_String_vector(&kids);
  CHECK_RC(zoo_remove_all_watches(c.zh(), n.c_str(), ZWATCHTYPE_ANY, 0), ZOK);
  CHECK_RC(zoo_set(c.zh(), n.c_str(), "y", 1, -1), ZOK);
  CHECK_RC(zoo_create(c.zh(), c.p("n/k").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0), ZOK);
  CHECK(drain(c.zh()));
  for (const auto& e : both.events())
    CHECK_EQ(e.type, ZOO_NOTWATCHING_EVENT);
  CHECK_RC(zoo_remove_all_watches(c.zh(), n.c_str(), ZWATCHTYPE_ANY, 0), ZNOWATCHER);
}

// ---- async API ----

struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, int>> done;  // (call, rc) in completion order
  std::string value;
  struct Stat stat {};
  int children = -1;
  std::vector<int> multi_errs;

  void add(const char* what, int rc) {
    std::lock_guard<std::mutex> lock(mu);
    done.emplace_back(what, rc);
    cv.notify_all();
  }
  bool wait_for_count(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_until(lock, Clock::now() + kDeadline, [&] { return done.size() >= n; });
  }
};

void test_async_calls_complete_in_order(Ctx& c) {
  Waiter w;
  std::string n = c.p("n");
  auto string_done = [](int rc, const char* value, const void* data) {
    auto* w = static_cast<Waiter*>(const_cast<void*>(data));
    if (rc == ZOK && value) w->value = value;
    w->add("create", rc);
  };
  CHECK_RC(zoo_acreate(c.zh(), n.c_str(), "abc", 3, &ZOO_OPEN_ACL_UNSAFE, 0, string_done, &w), ZOK);
  CHECK_RC(zoo_aset(
               c.zh(), n.c_str(), "abcd", 4, 0,
               [](int rc, const struct Stat* st, const void* data) {
                 auto* w = static_cast<Waiter*>(const_cast<void*>(data));
                 if (rc == ZOK) w->stat = *st;
                 w->add("set", rc);
               },
               &w),
           ZOK);
  CHECK_RC(zoo_aget(
               c.zh(), n.c_str(), 0,
               [](int rc, const char* value, int len, const struct Stat*, const void* data) {
                 auto* w = static_cast<Waiter*>(const_cast<void*>(data));
                 if (rc == ZOK) w->value += "|" + std::string(value, static_cast<size_t>(len));
                 w->add("get", rc);
               },
               &w),
           ZOK);
  CHECK_RC(zoo_aget_children2(
               c.zh(), c.base.c_str(), 0,
               [](int rc, const struct String_vector* kids, const struct Stat*, const void* data) {
                 auto* w = static_cast<Waiter*>(const_cast<void*>(data));
                 if (rc == ZOK) w->children = kids->count;
                 w->add("children2", rc);
               },
               &w),
           ZOK);
  CHECK_RC(zoo_async(
               c.zh(), c.base.c_str(),
               [](int rc, const char*, const void* data) {
                 static_cast<Waiter*>(const_cast<void*>(data))->add("sync", rc);
               },
               &w),
           ZOK);
  CHECK_RC(zoo_aexists(
               c.zh(), c.p("missing").c_str(), 0,
               [](int rc, const struct Stat*, const void* data) {
                 static_cast<Waiter*>(const_cast<void*>(data))->add("exists", rc);
               },
               &w),
           ZOK);
  static zoo_op_t ops[2];
  static zoo_op_result_t results[2];
  static char created[128];
  std::string m = c.p("m");
  zoo_create_op_init(&ops[0], m.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof created);
  zoo_check_op_init(&ops[1], n.c_str(), 9);
  CHECK_RC(zoo_amulti(
               c.zh(), 2, ops, results,
               [](int rc, const void* data) {
                 static_cast<Waiter*>(const_cast<void*>(data))->add("multi", rc);
               },
               &w),
           ZOK);
  CHECK_RC(zoo_adelete(
               c.zh(), n.c_str(), 1,
               [](int rc, const void* data) {
                 static_cast<Waiter*>(const_cast<void*>(data))->add("delete", rc);
               },
               &w),
           ZOK);
  CHECK(w.wait_for_count(8));
  std::vector<std::pair<std::string, int>> want{
      {"create", ZOK}, {"set", ZOK},        {"get", ZOK},           {"children2", ZOK},
      {"sync", ZOK},   {"exists", ZNONODE}, {"multi", ZBADVERSION}, {"delete", ZOK}};
  CHECK(w.done == want);
  CHECK_EQ(w.value, n + "|abcd");
  CHECK_EQ(w.stat.version, 1);
  CHECK_EQ(w.children, 1);
  CHECK_RC(results[0].err, ZOK);
  CHECK_RC(results[1].err, ZBADVERSION);
  CHECK(!node_exists(c.zh(), m));
}

// ---- sessions ----

void test_timeout_negotiation(Ctx&) {
  Handle low(10);
  CHECK(low.connected());
  CHECK_EQ(zoo_recv_timeout(low.zh()), g_opt.min_timeout_ms);
  Handle high(600000);
  CHECK(high.connected());
  CHECK_EQ(zoo_recv_timeout(high.zh()), g_opt.max_timeout_ms);
  Handle mid(3000);
  CHECK(mid.connected());
  CHECK_EQ(zoo_recv_timeout(mid.zh()), 3000);
}

void test_reattach_with_id_and_password(Ctx& c) {
  std::string e = c.p("e");
  Relay relay;
  Handle first(g_opt.max_timeout_ms, nullptr, relay.hosts());
  CHECK(first.connected());
  CHECK_RC(
      zoo_create(first.zh(), e.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0),
      ZOK);
  clientid_t id = *zoo_client_id(first.zh());
  relay.cut();  // the connection drops; the session lives on
  Handle second(g_opt.max_timeout_ms, &id);
  CHECK(second.connected());
  CHECK_EQ(second.session_id(), id.client_id);
  struct Stat st;
  CHECK_RC(zoo_exists(second.zh(), e.c_str(), 0, &st), ZOK);
  CHECK_EQ(st.ephemeralOwner, id.client_id);
  first.close();  // never reconnected, so it sends no closeSession
  CHECK(node_exists(c.zh(), e));
  second.close();  // closes the session: its ephemerals go
  CHECK(!node_exists(c.zh(), e));
}

void test_wrong_password_is_expired(Ctx& c) {
  Handle owner(g_opt.max_timeout_ms);
  CHECK(owner.connected());
  clientid_t id = *zoo_client_id(owner.zh());
  for (char& b : id.passwd)
    b = static_cast<char>(~b);
  Handle thief(g_opt.max_timeout_ms, &id);
  CHECK(thief.state().wait_for(ZOO_EXPIRED_SESSION_STATE));
  CHECK_RC(zoo_create(thief.zh(), c.p("x").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZINVALIDSTATE);
  // The owner keeps (or gets back) its session.
  CHECK(owner.connected());
  CHECK(wait_until([&] {
    return zoo_create(owner.zh(), c.p("owner").c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL,
                      nullptr, 0) == ZOK;
  }));
  struct Stat st;
  CHECK_RC(zoo_exists(c.zh(), c.p("owner").c_str(), 0, &st), ZOK);
  CHECK_EQ(st.ephemeralOwner, owner.session_id());
}

void test_expiry_removes_ephemerals(Ctx& c) {
  std::string e = c.p("e");
  Relay relay;
  Handle doomed(g_opt.min_timeout_ms, nullptr, relay.hosts());
  CHECK(doomed.connected());
  CHECK_RC(
      zoo_create(doomed.zh(), e.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0),
      ZOK);
  EventLog& ev = new_log();
  struct Stat st;
  CHECK_RC(zoo_wexists(c.zh(), e.c_str(), log_watcher, &ev, &st), ZOK);
  clientid_t id = *zoo_client_id(doomed.zh());
  auto started = Clock::now();
  relay.cut();
  CHECK(ev.wait_for_count(1));
  CHECK_EQ(ev.events(), (std::vector<Event>{{ZOO_DELETED_EVENT, e}}));
  CHECK(Clock::now() - started >= std::chrono::milliseconds(g_opt.min_timeout_ms / 2));
  // Re-attaching to the expired session is refused as expired.
  Handle late(g_opt.min_timeout_ms, &id);
  CHECK(late.state().wait_for(ZOO_EXPIRED_SESSION_STATE));
}

void test_close_removes_ephemerals(Ctx& c) {
  std::string e = c.p("e");
  Handle owner;
  CHECK(owner.connected());
  CHECK_RC(
      zoo_create(owner.zh(), e.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0),
      ZOK);
  EventLog& ev = new_log();
  struct Stat st;
  CHECK_RC(zoo_wexists(c.zh(), e.c_str(), log_watcher, &ev, &st), ZOK);
  owner.close();
  CHECK(ev.wait_for_count(1));
  CHECK_EQ(ev.events(), (std::vector<Event>{{ZOO_DELETED_EVENT, e}}));
  CHECK(!node_exists(c.zh(), e));
}

// ---- bad input ----

void test_bad_input(Ctx& c) {
  // The client library rejects malformed paths before sending; the server's own checks are
  // exercised by the raw-protocol tests in kazoo_compat.py.
  CHECK_RC(zoo_create(c.zh(), "relative", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZBADARGUMENTS);
  // Data over jute.maxbuffer: the server drops the connection; the session survives and
  // the node is unchanged.
  std::string n = c.p("big");
  std::string near(kJuteMaxBuffer - 1024, 'x');
  CHECK_RC(zoo_create(c.zh(), n.c_str(), near.data(), static_cast<int>(near.size()),
                      &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0),
           ZOK);
  std::string huge(kJuteMaxBuffer + 1, 'y');
  CHECK_RC(zoo_set(c.zh(), n.c_str(), huge.data(), static_cast<int>(huge.size()), -1),
           ZCONNECTIONLOSS);
  int64_t session = c.h.session_id();
  CHECK(c.h.connected());
  CHECK_EQ(c.h.session_id(), session);
  std::vector<char> buf(near.size() + 16);
  int len = static_cast<int>(buf.size());
  struct Stat st;
  CHECK(wait_until([&] {
    len = static_cast<int>(buf.size());
    return zoo_get(c.zh(), n.c_str(), 0, buf.data(), &len, &st) == ZOK;
  }));
  CHECK_EQ(len, static_cast<int>(near.size()));
  CHECK_EQ(st.version, 0);
}

struct TestCase {
  const char* name;
  void (*fn)(Ctx&);
};

const TestCase kTests[] = {
    {"create_modes_and_stat", test_create_modes_and_stat},
    {"container_and_ttl", test_container_and_ttl},
    {"set_get_delete", test_set_get_delete},
    {"children", test_children},
    {"acl_and_auth", test_acl_and_auth},
    {"multi", test_multi},
    {"watches_one_shot", test_watches_one_shot},
    {"remove_watches", test_remove_watches},
    {"async_calls_complete_in_order", test_async_calls_complete_in_order},
    {"timeout_negotiation", test_timeout_negotiation},
    {"reattach_with_id_and_password", test_reattach_with_id_and_password},
    {"wrong_password_is_expired", test_wrong_password_is_expired},
    {"expiry_removes_ephemerals", test_expiry_removes_ephemerals},
    {"close_removes_ephemerals", test_close_removes_ephemerals},
    {"bad_input", test_bad_input},
};

bool parse_args(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--hosts") {
      g_opt.hosts = value();
    } else if (a == "--server") {
      g_opt.server = value();
    } else if (a == "--super-password") {
      g_opt.super_password = value();
    } else if (a == "--min-timeout") {
      g_opt.min_timeout_ms = std::atoi(value().c_str());
    } else if (a == "--max-timeout") {
      g_opt.max_timeout_ms = std::atoi(value().c_str());
    } else if (a.rfind("--", 0) == 0) {
      return false;
    } else {
      g_opt.only.push_back(a);
    }
  }
  return !g_opt.hosts.empty() && !g_opt.server.empty() && g_opt.min_timeout_ms > 0 &&
         g_opt.max_timeout_ms > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (!parse_args(argc, argv)) {
    std::fprintf(stderr,
                 "usage: %s --hosts H:P --server zookeeper|conclave --super-password PW "
                 "--min-timeout MS --max-timeout MS [test...]\n",
                 argv[0]);
    return 2;
  }
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  int run = 0;
  for (const auto& t : kTests) {
    if (!g_opt.only.empty() &&
        std::find(g_opt.only.begin(), g_opt.only.end(), t.name) == g_opt.only.end()) {
      continue;
    }
    ++run;
    g_test_failed = false;
    auto started = Clock::now();
    {
      Handle h;
      if (!h.connected()) {
        report_failure(__FILE__, __LINE__, "cannot connect to " + g_opt.hosts);
      } else {
        Ctx c{h, std::string("/c_") + t.name};
        int rc = zoo_create(h.zh(), c.base.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
        if (rc != ZOK) {
          report_failure(__FILE__, __LINE__, std::string("create base: ") + zerror(rc));
        } else {
          t.fn(c);
          // Clean up as the super user (tests leave nodes with restrictive ACLs).
          Handle root;
          std::string cred = "super:" + g_opt.super_password;
          if (root.connected()) {
            zoo_add_auth(root.zh(), "digest", cred.c_str(), static_cast<int>(cred.size()), nullptr,
                         nullptr);
            delete_tree(root.zh(), c.base);
          }
        }
      }
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    std::printf("%s %s (%lld ms)\n", g_test_failed ? "FAIL" : "ok  ", t.name,
                static_cast<long long>(ms));
    std::fflush(stdout);
    if (g_test_failed) ++g_failures;
  }
  std::printf("%d of %d tests failed against %s\n", g_failures, run, g_opt.server.c_str());
  return g_failures == 0 && run > 0 ? 0 : 1;
}
