// lock_counter HOSTS LOCK_PATH COUNTER_PATH N
//
// N times: takes the lock LOCK_PATH, reads the integer in COUNTER_PATH (creating it with 0 if
// absent), writes it back plus one WITHOUT a version check (only the lock protects it), prints
// "inc <new value>" and flushes, releases the lock. Exits 0.
//
// The test of the lock: with many of these running at once, two holders at the same time
// would both read the same value and one increment would be lost, so the final counter would
// fall short of the number of "inc" lines and some value would be printed twice.
//
// It also prints "lock_counter: session 0x<id>" on stderr once connected.
//
// Exit status: 0 done, 1 an error (on stderr), 2 usage, 3 the lock was lost while a write's
// outcome was unknown (the count of "inc" lines may then be one short).
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "recipes/examples/example_util.h"
#include "recipes/lock.h"
#include "recipes/protected_node.h"

using namespace conclave;
using namespace conclave::recipes;

namespace {

int fail(const char* what, const Error& e) {
  std::fprintf(stderr, "lock_counter: %s: %s\n", what, e.to_string().c_str());
  return 1;
}

// The counter's value, creating it as "0" if missing.
Result<int64_t> read_counter(client::SyncClient& zk, const std::string& path) {
  for (;;) {
    auto r = zk.get_data(path);
    if (r.ok()) {
      char* end = nullptr;
      const long long v = std::strtoll(r->data.c_str(), &end, 10);
      if (r->data.empty() || *end != '\0') {
        return Error(ErrorCode::kBadArguments, path + " holds no integer: " + r->data);
      }
      return static_cast<int64_t>(v);
    }
    if (r.code() != ErrorCode::kNoNode) return r.error();
    const size_t slash = path.rfind('/');
    if (slash > 0) {
      if (Status st = ensure_containers(zk, path.substr(0, slash)); !st.ok()) return st.error();
    }
    auto created = zk.create(path, "0");
    if (!created.ok() && created.code() != ErrorCode::kNodeExists) return created.error();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s HOSTS LOCK_PATH COUNTER_PATH N\n", argv[0]);
    return 2;
  }
  const std::string hosts = argv[1];
  const std::string lock_path = argv[2];
  const std::string counter_path = argv[3];
  const long n = std::strtol(argv[4], nullptr, 10);
  if (n < 0) {
    std::fprintf(stderr, "N must be a count\n");
    return 2;
  }
  auto conn = examples::connect(hosts);
  if (!conn) return 1;
  // On stderr, so stdout keeps its interface: lets a test find which process owns which lock
  // node (its ephemeralOwner) and kill the holder or a given waiter.
  std::fprintf(stderr, "lock_counter: session 0x%llx\n",
               static_cast<unsigned long long>(conn->client().session_id()));
  client::SyncClient& zk = conn->sync();
  const auto resolve_wait = std::chrono::milliseconds(2 * examples::session_timeout_ms());
  Lock lock(*conn, lock_path);

  // Waits while the lock is suspended (the connection dropped, the session may live on):
  // true once it is held again, false if it was lost.
  auto still_held = [&] {
    if (lock.is_held()) return true;
    const LockState s = lock.await_not_suspended(resolve_wait);
    if (s != LockState::kHeld) {
      std::fprintf(stderr, "lock_counter: the lock is %s\n",
                   std::string(lock_state_name(s)).c_str());
    }
    return s == LockState::kHeld;
  };

  for (long i = 0; i < n; ++i) {
    if (Status st = lock.lock(); !st.ok()) return fail("lock", st.error());
    Result<int64_t> value = Error(ErrorCode::kConnectionLoss);
    while (!value.ok()) {
      if (!still_held()) return 1;
      value = read_counter(zk, counter_path);
      if (!value.ok() && !is_retryable(value.code())) return fail("read counter", value.error());
    }
    const int64_t next = *value + 1;
    for (;;) {
      // Write only while the lock is known to be held.
      if (!still_held()) return 1;
      auto written = zk.set_data(counter_path, std::to_string(next));
      if (written.ok()) break;
      if (!is_retryable(written.code())) return fail("write counter", written.error());
      // The write may or may not have happened. While the lock is still held nobody else
      // writes, so reading the counter tells which.
      Result<int64_t> now = Error(ErrorCode::kConnectionLoss);
      while (!now.ok()) {
        if (!still_held()) {
          std::fprintf(stderr, "lock_counter: lock lost while the write of %lld was unknown\n",
                       static_cast<long long>(next));
          return 3;
        }
        now = read_counter(zk, counter_path);
        if (!now.ok() && !is_retryable(now.code())) return fail("re-read counter", now.error());
      }
      if (*now == next) break;
      if (*now != *value) {
        std::fprintf(stderr, "lock_counter: counter moved from %lld to %lld under our lock\n",
                     static_cast<long long>(*value), static_cast<long long>(*now));
        return 1;
      }
    }
    std::printf("inc %lld\n", static_cast<long long>(next));
    std::fflush(stdout);
    if (Status st = lock.unlock(); !st.ok()) return fail("unlock", st.error());
  }
  conn->close();
  return 0;
}
