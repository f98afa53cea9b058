// leader_demo HOSTS ELECTION_PATH NAME
//
// Takes part in the election at ELECTION_PATH as NAME until SIGTERM or SIGINT. Prints
// "<unix ms> LEADER <NAME>" when it becomes the leader and "<unix ms> LOST <NAME>" when it
// stops being the leader (the connection dropped, the session expired, or it gives the
// leadership up on SIGTERM/SIGINT), each line flushed. A session that expires is replaced by
// a new one, which joins the election again at the back.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "recipes/examples/example_util.h"
#include "recipes/leader_latch.h"

using namespace conclave;
using namespace conclave::recipes;

namespace {

struct Wakeup {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;          // SIGTERM or SIGINT arrived
  bool session_over = false;  // the current session expired
};

long long unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s HOSTS ELECTION_PATH NAME\n", argv[0]);
    return 2;
  }
  const std::string hosts = argv[1];
  const std::string path = argv[2];
  const std::string name = argv[3];

  // The signals are taken by one thread with sigwait, so every thread made from here on
  // (the client's, the latch's) inherits them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  Wakeup wakeup;
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    {
      std::lock_guard lock(wakeup.mu);
      wakeup.stop = true;
    }
    wakeup.cv.notify_all();
  });

  int status = 0;
  for (;;) {
    {
      std::lock_guard lock(wakeup.mu);
      wakeup.session_over = false;
      if (wakeup.stop) break;
    }
    client::ClientOptions options;
    options.on_session_event = [&wakeup](client::SessionState s) {
      if (!client::is_terminal(s)) return;
      {
        std::lock_guard lock(wakeup.mu);
        wakeup.session_over = true;
      }
      wakeup.cv.notify_all();
    };
    auto conn = examples::connect(hosts, options);
    if (!conn) {
      status = 1;
      break;
    }
    LeaderLatch latch(*conn, path, name);
    latch.add_listener([&name](bool leader) {
      std::printf("%lld %s %s\n", unix_ms(), leader ? "LEADER" : "LOST", name.c_str());
      std::fflush(stdout);
    });
    if (Status st = latch.start(); !st.ok()) {
      std::fprintf(stderr, "leader_demo: start: %s\n", st.error().to_string().c_str());
      status = 1;
      break;
    }
    bool stop = false;
    {
      std::unique_lock lock(wakeup.mu);
      wakeup.cv.wait(lock, [&] { return wakeup.stop || wakeup.session_over; });
      stop = wakeup.stop;
    }
    (void)latch.close();  // prints LOST first if leading, then leaves the election
    conn->close();
    if (stop) break;
    std::fprintf(stderr, "leader_demo: session expired; joining again with a new one\n");
  }
  if (status != 0) {
    // The signal thread still waits: end it the way it expects.
    kill(getpid(), SIGTERM);
  }
  signal_thread.join();
  return status;
}
