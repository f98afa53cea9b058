#include "recipes/barrier.h"

#include "recipes/protected_node.h"

namespace conclave::recipes {

Barrier::Barrier(Connection& conn, std::string path)
    : conn_(conn), path_(std::move(path)), waker_(conn) {}

Barrier::~Barrier() = default;

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
  const auto deadline = Waker::Clock::now() + timeout;
  for (;;) {
    if (waker_.session_over()) return Error(ErrorCode::kSessionExpired, "the session ended");
    const uint64_t seen = waker_.mark();
    auto up = conn_.sync().exists(path_, waker_.watcher());
    if (!up.ok()) {
      if (is_retryable(up.code())) {
        if (Waker::Clock::now() >= deadline) return false;
        continue;  // the next call waits for the reconnect (or the session's end)
      }
      return up.error();
    }
    if (!up->has_value()) return true;
    switch (waker_.wait(seen, deadline)) {
      case Waker::Woken::kTimedOut:
        return false;
      case Waker::Woken::kSessionOver:  // said at the top of the loop
      case Waker::Woken::kChanged:
        break;
    }
  }
}

}  // namespace conclave::recipes
