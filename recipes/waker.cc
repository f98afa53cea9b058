#include "recipes/waker.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace conclave::recipes {

struct Waker::State {
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

Waker::Waker(Connection& conn) : conn_(conn), state_(std::make_shared<State>()) {
  std::weak_ptr<State> weak = state_;
  watcher_ = client::Watcher([weak](const client::WatchedEvent&) {
    if (auto s = weak.lock()) s->wake(false);
  });
  listener_id_ = conn_.add_listener([weak](SessionState st) {
    if (auto s = weak.lock()) s->wake(client::is_terminal(st));
  });
  // After registering, so an end that happened before is not missed either way.
  if (client::is_terminal(conn_.state())) state_->wake(true);
}

Waker::~Waker() {
  conn_.remove_listener(listener_id_);
}

uint64_t Waker::mark() const {
  std::lock_guard lock(state_->mu);
  return state_->wakeups;
}

bool Waker::session_over() const {
  std::lock_guard lock(state_->mu);
  return state_->session_over;
}

Waker::Woken Waker::wait(uint64_t seen, Clock::time_point deadline) const {
  std::unique_lock lock(state_->mu);
  state_->cv.wait_until(lock, deadline,
                        [&] { return state_->wakeups != seen || state_->session_over; });
  if (state_->session_over) return Woken::kSessionOver;
  if (state_->wakeups != seen) return Woken::kChanged;
  return Woken::kTimedOut;
}

Waker::Woken Waker::retry_pause(uint64_t seen, Clock::time_point deadline) const {
  const Woken w = wait(seen, std::min(deadline, Clock::now() + kRetryPause));
  if (w == Woken::kSessionOver) return w;
  return Clock::now() >= deadline ? Woken::kTimedOut : Woken::kChanged;
}

}  // namespace conclave::recipes
