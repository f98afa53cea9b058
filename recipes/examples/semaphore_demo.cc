// semaphore_demo HOSTS PATH N ROUNDS HOLD_MS
//
// ROUNDS times: takes one of the N leases of the semaphore at PATH, prints "<t> IN" and
// flushes, works for HOLD_MS, prints "<t> OUT" and flushes, releases the lease. Exits 0.
// <t> is CLOCK_MONOTONIC in microseconds: one clock for every process on the machine, so a
// test can lay the intervals of several processes side by side. Each printed interval lies
// inside the time the lease was really held (IN after the grant, OUT before the release, and
// the lease is checked to be still held before OUT), so N+1 intervals overlapping would be
// N+1 holders at once.
//
// It also prints "semaphore_demo: session 0x<id>" on stderr once connected.
//
// Exit status: 0 done, 1 an error (on stderr), 2 usage, 3 a lease was lost while held.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "recipes/examples/example_util.h"
#include "recipes/semaphore.h"

using namespace conclave;
using namespace conclave::recipes;

namespace {

long long monotonic_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1'000;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s HOSTS PATH N ROUNDS HOLD_MS\n", argv[0]);
    return 2;
  }
  const std::string hosts = argv[1];
  const std::string path = argv[2];
  const int n = std::atoi(argv[3]);
  const long rounds = std::strtol(argv[4], nullptr, 10);
  const long hold_ms = std::strtol(argv[5], nullptr, 10);
  if (n < 1 || rounds < 0 || hold_ms < 0) {
    std::fprintf(stderr, "N must be at least 1, ROUNDS and HOLD_MS counts\n");
    return 2;
  }
  auto conn = examples::connect(hosts);
  if (!conn) return 1;
  std::fprintf(stderr, "semaphore_demo: session 0x%llx\n",
               static_cast<unsigned long long>(conn->client().session_id()));
  const auto resolve_wait = std::chrono::milliseconds(2 * examples::session_timeout_ms());
  Semaphore sem(*conn, path, n);
  for (long i = 0; i < rounds; ++i) {
    auto lease = sem.acquire();
    if (!lease.ok()) {
      std::fprintf(stderr, "semaphore_demo: acquire: %s\n", lease.error().to_string().c_str());
      return 1;
    }
    std::printf("%lld IN\n", monotonic_us());
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));  // the work
    // Only while the lease is known held may the interval end now; a suspended lease may be
    // held again (the same session came back) or lost.
    if (!lease->is_held() && lease->await_not_suspended(resolve_wait) != LockState::kHeld) {
      std::fprintf(stderr, "semaphore_demo: the lease is %s\n",
                   std::string(lock_state_name(lease->state())).c_str());
      return 3;
    }
    std::printf("%lld OUT\n", monotonic_us());
    std::fflush(stdout);
    if (Status st = lease->release(); !st.ok()) {
      std::fprintf(stderr, "semaphore_demo: release: %s\n", st.error().to_string().c_str());
      return 1;
    }
  }
  return 0;
}
