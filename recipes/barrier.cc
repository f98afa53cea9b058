#include "recipes/barrier.h"

#include <condition_variable>
#include <mutex>

#include "recipes/protected_node.h"

namespace conclave::recipes {

// Wakes a waiter; shared with the watch and the session listener, which may outlive the
// Barrier.
struct Barrier::Signal {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t wakeups = 0;
  bool session_over = false;

  void wake(bool over) {
    {
      std::lock_guard lock(mu);
      ++wakeups;
      session_over = session_over || over;
    }
    cv.notify_all();
  }
};

Barrier::Barrier(Connection& conn, std::string path)
    : conn_(conn), path_(std::move(path)), signal_(std::make_shared<Signal>()) {
  std::weak_ptr<Signal> weak = signal_;
  watch_ = client::Watcher([weak](const client::WatchedEvent&) {
    if (auto s = weak.lock()) s->wake(false);
  });
  listener_id_ = conn_.add_listener([weak](SessionState st) {
    if (auto s = weak.lock()) s->wake(client::is_terminal(st));
  });
  if (client::is_terminal(conn_.state())) signal_->wake(true);
}

Barrier::~Barrier() {
  conn_.remove_listener(listener_id_);
}

Status Barrier::set() {
  for (int attempt = 0; attempt < kCreateAttemptsMax; ++attempt) {
    auto r = conn_.sync().create(path_);
    if (r.ok() || r.code() == ErrorCode::kNodeExists) return Status::success();
    if (r.code() == ErrorCode::kNoNode) {
      const size_t slash = path_.rfind('/');
      if (Status st = ensure_containers(conn_.sync(), path_.substr(0, slash)); !st.ok()) {
        return st;
      }
      continue;
    }
    // A lost reply: the next attempt answers NodeExists if the first took effect.
    if (r.code() != ErrorCode::kConnectionLoss && r.code() != ErrorCode::kOperationTimeout) {
      return r.error();
    }
  }
  return Error(ErrorCode::kConnectionLoss, "could not put up the barrier " + path_);
}

Status Barrier::remove() {
  for (int attempt = 0; attempt < kCreateAttemptsMax; ++attempt) {
    Status st = conn_.sync().remove(path_);
    if (st.ok() || st.code() == ErrorCode::kNoNode) return Status::success();
    if (st.code() != ErrorCode::kConnectionLoss && st.code() != ErrorCode::kOperationTimeout) {
      return st;
    }
  }
  return Error(ErrorCode::kConnectionLoss, "could not take down the barrier " + path_);
}

Result<bool> Barrier::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(signal_->mu);
      if (signal_->session_over) return Error(ErrorCode::kSessionExpired, "the session ended");
      seen = signal_->wakeups;
    }
    auto up = conn_.sync().exists(path_, watch_);
    if (!up.ok()) {
      if (up.code() == ErrorCode::kConnectionLoss || up.code() == ErrorCode::kOperationTimeout) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        continue;  // the next call waits for the reconnect (or the session's end)
      }
      return up.error();
    }
    if (!up->has_value()) return true;
    std::unique_lock lock(signal_->mu);
    if (!signal_->cv.wait_until(
            lock, deadline, [&] { return signal_->wakeups != seen || signal_->session_over; })) {
      return false;
    }
  }
}

}  // namespace conclave::recipes
