#include "client/shell/script.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace conclave::shell {

void print_notices(NoticeQueue& notices, Printer& printer) {
  for (const auto& n : notices.take_all())
    printer.notice(n);
}

std::string command_word(const std::string& line) {
  const size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return "";
  const size_t end = line.find_first_of(" \t", start);
  return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

int run_one_command(Shell& shell, NoticeQueue& notices, Printer& printer,
                    const std::vector<std::string>& words) {
  Reply r = shell.run_words(words);
  // Events that fired before the reply (the client orders them so) come first.
  print_notices(notices, printer);
  printer.reply(words.empty() ? "" : words[0], r);
  ExitStatus status;
  status.add(r.outcome);
  return status.code();
}

namespace {

// Reads lines from a descriptor while waking up for notices.
class LineSource {
 public:
  explicit LineSource(int fd) : fd_(fd) {}

  enum class Next { kLine, kTooLong, kEnd };

  // Waits for the next line, printing notices while it waits.
  Next next(std::string& line, NoticeQueue& notices, Printer& printer) {
    while (true) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return Next::kLine;
      }
      if (buffer_.size() > kMaxScriptLineBytes) {
        buffer_.clear();
        skipping_ = true;
        return Next::kTooLong;
      }
      if (eof_) {
        if (buffer_.empty()) return Next::kEnd;
        line.swap(buffer_);
        buffer_.clear();
        return Next::kLine;
      }
      pollfd fds[2] = {{fd_, POLLIN, 0}, {notices.wake_fd(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        eof_ = true;
        continue;
      }
      if (fds[1].revents & POLLIN) print_notices(notices, printer);
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) read_more();
    }
  }

 private:
  void read_more() {
    char chunk[64 * 1024];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) return;
    if (n <= 0) {
      eof_ = true;
      return;
    }
    std::string_view data(chunk, static_cast<size_t>(n));
    if (skipping_) {
      // The rest of an over-long line is dropped up to its newline.
      const size_t nl = data.find('\n');
      if (nl == std::string_view::npos) return;
      data.remove_prefix(nl + 1);
      skipping_ = false;
    }
    buffer_.append(data);
  }

  int fd_;
  std::string buffer_;
  bool eof_ = false;
  bool skipping_ = false;
};

}  // namespace

int run_script(Shell& shell, NoticeQueue& notices, Printer& printer, int fd) {
  LineSource source(fd);
  ExitStatus status;
  std::string line;
  while (true) {
    const auto next = source.next(line, notices, printer);
    if (next == LineSource::Next::kEnd) break;
    if (next == LineSource::Next::kTooLong) {
      Reply r = Reply::failed(
          "Line longer than " + std::to_string(kMaxScriptLineBytes) + " bytes; skipped", "usage");
      r.outcome = Outcome::kUsage;
      printer.reply("", r);
      status.add(r.outcome);
      continue;
    }
    const std::string word = command_word(line);
    if (word.empty() || word[0] == '#') continue;
    Reply r = shell.run_line(line);
    print_notices(notices, printer);
    printer.reply(word, r);
    status.add(r.outcome);
    if (r.quit) break;
  }
  print_notices(notices, printer);
  return status.code();
}

}  // namespace conclave::shell
