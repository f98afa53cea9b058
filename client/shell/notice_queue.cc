#include "client/shell/notice_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include "client/shell/json.h"

namespace conclave::shell {

NoticeQueue::NoticeQueue() {
  if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    pipe_[0] = pipe_[1] = -1;
  }
}

NoticeQueue::~NoticeQueue() {
  for (int fd : pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

void NoticeQueue::push(Notice n) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(n));
  }
  // A full pipe already wakes the reader, so a failed write loses nothing.
  const char byte = 1;
  [[maybe_unused]] ssize_t ignored = ::write(pipe_[1], &byte, 1);
}

std::deque<Notice> NoticeQueue::take_all() {
  char buf[256];
  while (::read(pipe_[0], buf, sizeof buf) > 0) {
  }
  std::lock_guard lock(mu_);
  std::deque<Notice> out;
  out.swap(queue_);
  if (dropped_ > 0) {
    const std::string msg = std::to_string(dropped_) + " events were dropped (more than " +
                            std::to_string(kMaxQueued) + " waiting)";
    out.push_front(Notice{msg + "\n", JsonObject().str("warning", msg).encode()});
    dropped_ = 0;
  }
  return out;
}

}  // namespace conclave::shell
