// Watch events and session changes arrive on the client's callback thread while the shell's
// main thread may be reading a line or running a command. They are queued here and printed
// by the main thread, which a self-pipe wakes from its poll().
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

namespace conclave::shell {

struct Notice {
  std::string text;  // zkCli-style text, '\n'-terminated
  std::string json;  // one JSON object
};

class NoticeQueue {
 public:
  // Notices held before older ones are dropped (a watch storm while a command runs for long
  // must not grow the shell without bound); the drop is reported in place of what was lost.
  static constexpr size_t kMaxQueued = 10'000;

  NoticeQueue();
  ~NoticeQueue();
  NoticeQueue(const NoticeQueue&) = delete;
  NoticeQueue& operator=(const NoticeQueue&) = delete;

  // Any thread.
  void push(Notice n);
  // Readable when notices are waiting; for poll() in the main loop.
  int wake_fd() const { return pipe_[0]; }
  // Takes everything queued (and empties the wake pipe).
  std::deque<Notice> take_all();

 private:
  std::mutex mu_;
  std::deque<Notice> queue_;
  size_t dropped_ = 0;
  int pipe_[2] = {-1, -1};
};

}  // namespace conclave::shell
