// The one thread that runs application code for a handle: watch events, session events and
// completions, strictly in the order they were queued. The I/O thread only queues; it never
// runs application code, so a slow callback cannot stall pings and replies.
//
// The queue is not bounded by count: completions are bounded by
// ClientOptions::max_pending_requests, and events by the watches the application set.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace conclave::client {

class CallbackQueue {
 public:
  CallbackQueue();
  ~CallbackQueue();  // stop()s
  CallbackQueue(const CallbackQueue&) = delete;
  CallbackQueue& operator=(const CallbackQueue&) = delete;

  // Queues `fn`; false (and `fn` is dropped) once stop() has begun.
  bool post(std::function<void()> fn);
  // Runs what is queued, then ends the thread. From the callback thread itself (a callback
  // closing its own handle) the thread is detached instead of joined: it finishes the
  // queue after the current callback returns, holding the state it needs.
  void stop();
  bool on_callback_thread() const { return std::this_thread::get_id() == thread_id_; }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> items;
    bool stopping = false;
  };
  static void run(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace conclave::client
