#include "client/shell/repl.h"

#include <fcntl.h>
#include <histedit.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "client/shell/completion.h"
#include "client/shell/script.h"

namespace conclave::shell {
namespace {

// Signals reach the main loop through this pipe (a handler may only write(2)).
int g_signal_pipe[2] = {-1, -1};

void on_signal(int signo) {
  const int saved = errno;
  const auto byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] ssize_t ignored = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

void write_out(std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

// The terminal is in raw mode while a line is edited, where "\n" may not return the carriage.
std::string raw_newlines(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 16);
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// Columns a UTF-8 string takes, counting each code point as one.
size_t display_columns(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

size_t terminal_columns() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;  // the classic default when the terminal will not say
}

class Repl {
 public:
  Repl(Shell& shell, NoticeQueue& notices, Printer& printer)
      : shell_(shell), notices_(notices), printer_(printer) {}

  int run();

 private:
  static char* prompt_fn(EditLine* el);
  static unsigned char complete_fn(EditLine* el, int ch);
  static unsigned char interrupt_fn(EditLine* el, int ch);
  static Repl* self(EditLine* el);

  void setup();
  void teardown();
  // Prints queued notices above the line being edited and redraws it.
  void show_notices();
  // Leaves editing (cooked terminal), runs `line`, comes back to a fresh prompt.
  bool run_line(const std::string& line);
  void handle_signal(int signo, bool& stop);
  void erase_edit_area();

  Shell& shell_;
  NoticeQueue& notices_;
  Printer& printer_;
  ExitStatus status_;
  EditLine* el_ = nullptr;
  History* hist_ = nullptr;
  std::string history_path_;
  std::string prompt_;
};

Repl* Repl::self(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<Repl*>(data);
}

char* Repl::prompt_fn(EditLine* el) {
  return self(el)->prompt_.data();
}

unsigned char Repl::complete_fn(EditLine* el, int) {
  Repl* r = self(el);
  const LineInfo* li = el_line(el);
  const std::string before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
  const Completion c =
      complete(before, [r](const std::string& path) { return r->shell_.list_children(path); });
  if (c.candidates.empty()) return CC_REFRESH_BEEP;
  if (!c.insert.empty()) {
    if (el_insertstr(el, c.insert.c_str()) != 0) return CC_REFRESH_BEEP;
    return CC_REFRESH;
  }
  if (c.candidates.size() == 1) return CC_REFRESH;
  // Ambiguous and nothing more in common: list the choices under the line, as a shell does.
  std::string listing = "\n";
  for (size_t i = 0; i < c.candidates.size(); ++i) {
    listing += c.candidates[i];
    listing += (i + 1 == c.candidates.size()) ? "\n" : "  ";
  }
  write_out(raw_newlines(listing));
  return CC_REDISPLAY;
}

unsigned char Repl::interrupt_fn(EditLine* el, int) {
  // Ctrl-C abandons the line being typed, as in a shell.
  const LineInfo* li = el_line(el);
  const int after = static_cast<int>(li->lastchar - li->cursor);
  el_cursor(el, after);
  const LineInfo* moved = el_line(el);
  el_deletestr(el, static_cast<int>(moved->cursor - moved->buffer));
  write_out("^C\r\n");
  return CC_REDISPLAY;
}

void Repl::setup() {
  hist_ = history_init();
  HistEvent ev;
  history(hist_, &ev, H_SETSIZE, kHistoryFileMaxEntries);
  history(hist_, &ev, H_SETUNIQUE, 1);
  history_path_ = history_file_path();
  if (!history_path_.empty()) history(hist_, &ev, H_LOAD, history_path_.c_str());

  el_ = el_init("conclave-cli", stdin, stdout, stderr);
  el_set(el_, EL_CLIENTDATA, this);
  el_set(el_, EL_EDITOR, "emacs");
  el_set(el_, EL_PROMPT, &Repl::prompt_fn);
  el_set(el_, EL_HIST, history, hist_);
  el_set(el_, EL_ADDFN, "conclave-complete", "Complete a command or znode path",
         &Repl::complete_fn);
  el_set(el_, EL_BIND, "^I", "conclave-complete", nullptr);
  el_set(el_, EL_ADDFN, "conclave-interrupt", "Abandon the line", &Repl::interrupt_fn);
  el_set(el_, EL_BIND, "^C", "conclave-interrupt", nullptr);
  el_source(el_, nullptr);  // the user's ~/.editrc, if any

  if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int s : {SIGINT, SIGWINCH, SIGTERM, SIGHUP})
      sigaction(s, &sa, nullptr);
  }
}

void Repl::teardown() {
  el_set(el_, EL_UNBUFFERED, 0);
  el_end(el_);
  history_end(hist_);
  for (int s : {SIGINT, SIGWINCH, SIGTERM, SIGHUP})
    signal(s, SIG_DFL);
  for (int& fd : g_signal_pipe) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

void Repl::erase_edit_area() {
  // The editor drew the prompt and the line from the start of a row, wrapping at the
  // terminal's width; go back to that row and clear everything below it.
  const LineInfo* li = el_line(el_);
  const size_t cursor_col =
      display_columns(prompt_) +
      display_columns(std::string_view(li->buffer, static_cast<size_t>(li->cursor - li->buffer)));
  const size_t rows_up = cursor_col / terminal_columns();
  std::string s = "\r";
  if (rows_up > 0) s += "\033[" + std::to_string(rows_up) + "A";
  s += "\033[J";
  write_out(s);
}

void Repl::show_notices() {
  auto notices = notices_.take_all();
  if (notices.empty()) return;
  erase_edit_area();
  std::string text;
  for (const auto& n : notices)
    text += printer_.notice_text(n);
  write_out(raw_newlines(text));
  // A session change alters the prompt's state (CONNECTING, CONNECTED, ...).
  prompt_ = shell_.prompt();
  el_set(el_, EL_REFRESH);
}

bool Repl::run_line(const std::string& line) {
  el_set(el_, EL_UNBUFFERED, 0);  // cooked terminal while the command runs and prints
  bool quit = false;
  if (line.find_first_not_of(" \t") != std::string::npos) {
    HistEvent ev;
    history(hist_, &ev, H_ENTER, line.c_str());
    // Saved at once, so a shell that is killed keeps what was typed.
    if (!history_path_.empty()) history(hist_, &ev, H_SAVE, history_path_.c_str());
    Reply r = shell_.run_line(line);
    print_notices(notices_, printer_);
    printer_.reply(command_word(line), r);
    status_.add(r.outcome);
    quit = r.quit;
  }
  if (!quit) {
    prompt_ = shell_.prompt();
    el_set(el_, EL_UNBUFFERED, 1);  // raw again: a fresh line and the prompt
  }
  return !quit;
}

void Repl::handle_signal(int signo, bool& stop) {
  if (signo == SIGWINCH) {
    el_resize(el_);
    el_set(el_, EL_REFRESH);
  } else if (signo == SIGINT) {
    interrupt_fn(el_, 0);
    el_set(el_, EL_REFRESH);
  } else {
    stop = true;
  }
}

int Repl::run() {
  setup();
  print_notices(notices_, printer_);
  prompt_ = shell_.prompt();
  el_set(el_, EL_UNBUFFERED, 1);
  bool stop = false;
  bool editing = true;
  while (!stop) {
    pollfd fds[3] = {
        {STDIN_FILENO, POLLIN, 0}, {notices_.wake_fd(), POLLIN, 0}, {g_signal_pipe[0], POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents & POLLIN) {
      unsigned char sig = 0;
      while (::read(g_signal_pipe[0], &sig, 1) == 1)
        handle_signal(sig, stop);
      if (stop) break;
    }
    if (fds[1].revents & POLLIN) show_notices();
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      int count = 0;
      const char* buf = el_gets(el_, &count);
      if (buf == nullptr) {
        // Unbuffered libedit also answers NULL while the line is merely empty (after a
        // backspace or ^U); only a hung-up terminal ends the shell.
        if (fds[0].revents & (POLLHUP | POLLERR)) break;
        continue;
      }
      const std::string_view got(buf, static_cast<size_t>(count));
      // Ctrl-D on an empty line: libedit hands back the EOF character alone.
      if (got == "\x04") {
        write_out("\r\n");
        break;
      }
      if (!got.empty() && got.back() == '\n') {
        if (!run_line(std::string(got.substr(0, got.size() - 1)))) {
          editing = false;
          break;
        }
      }
    }
  }
  if (editing) el_set(el_, EL_UNBUFFERED, 0);
  teardown();
  return status_.code();
}

}  // namespace

std::string history_file_path() {
  if (const char* p = std::getenv("CONCLAVE_CLI_HISTORY"); p != nullptr) return p;
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return "";
  return std::string(home) + "/.conclave_cli_history";
}

int run_repl(Shell& shell, NoticeQueue& notices, Printer& printer) {
  Repl repl(shell, notices, printer);
  return repl.run();
}

}  // namespace conclave::shell
