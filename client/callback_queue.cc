#include "client/callback_queue.h"

#include <exception>

#include "common/log.h"

namespace conclave::client {

CallbackQueue::CallbackQueue() : state_(std::make_shared<State>()) {
  thread_ = std::thread(&CallbackQueue::run, state_);
  thread_id_ = thread_.get_id();
}

CallbackQueue::~CallbackQueue() {
  stop();
}

bool CallbackQueue::post(std::function<void()> fn) {
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopping) return false;
    state_->items.push_back(std::move(fn));
  }
  state_->cv.notify_one();
  return true;
}

void CallbackQueue::stop() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_one();
  if (!thread_.joinable()) return;
  if (on_callback_thread()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

void CallbackQueue::run(std::shared_ptr<State> state) {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(state->mu);
      state->cv.wait(lock, [&] { return state->stopping || !state->items.empty(); });
      if (state->items.empty()) return;  // stopping and drained
      fn = std::move(state->items.front());
      state->items.pop_front();
    }
    // Application code must not take the thread down with it, nor let an exception
    // cross into the library.
    try {
      fn();
    } catch (const std::exception& e) {
      log::error("client: a callback threw: ", e.what());
    } catch (...) {
      log::error("client: a callback threw a non-exception");
    }
  }
}

}  // namespace conclave::client
