#include "tests/client/test_env.h"

#include <unistd.h>

#include <cstdio>

namespace conclave::client::testing {

TestEnv& env() {
  static TestEnv e;
  return e;
}

Status TestEnv::control(const std::string& command) {
  if (control_out < 0) return Error(ErrorCode::kApiError, "no control pipe (run via the runner)");
  const std::string line = command + "\n";
  if (::write(control_out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    return Error(ErrorCode::kSystemError, "control pipe write failed");
  }
  std::string answer;
  char ch = 0;
  while (::read(control_in, &ch, 1) == 1 && ch != '\n')
    answer += ch;
  if (answer == "ok") return Status::success();
  return Error(ErrorCode::kSystemError, command + ": " + answer);
}

std::string event_line(wire::EventType type, const std::string& path) {
  return "event " + std::to_string(static_cast<int>(type)) + " " + path;
}

void Recorder::add(std::string line) {
  {
    std::lock_guard lock(mu_);
    lines_.push_back(std::move(line));
  }
  cv_.notify_all();
}

void Recorder::event(const WatchedEvent& e) {
  add(event_line(e.type, e.path));
}
void Recorder::state(SessionState s) {
  add("state " + std::string(session_state_name(s)));
}
void Recorder::mark(std::string what) {
  add(std::move(what));
}

Watcher Recorder::watcher() {
  std::lock_guard lock(mu_);
  if (!watcher_) watcher_ = Watcher([this](const WatchedEvent& e) { event(e); });
  return watcher_;
}

std::function<void(SessionState)> Recorder::state_listener() {
  return [this](SessionState s) { state(s); };
}

bool Recorder::wait(const std::function<bool(const std::vector<std::string>&)>& pred,
                    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(lines_); });
}

bool Recorder::wait_line(const std::string& line, std::chrono::milliseconds timeout) {
  return wait(
      [&](const std::vector<std::string>& ls) {
        for (const auto& l : ls) {
          if (l == line) return true;
        }
        return false;
      },
      timeout);
}

size_t Recorder::count(const std::string& line) const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& l : lines_)
    n += l == line;
  return n;
}

std::vector<std::string> Recorder::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

std::unique_ptr<Client> connect(const std::string& chroot, ClientOptions options) {
  auto c = Client::connect(env().hosts + chroot, std::move(options));
  if (!c.ok()) {
    ADD_FAILURE() << "connect: " << c.error().to_string();
    return nullptr;
  }
  Status st = (*c)->wait_connected(kWait);
  if (!st.ok()) {
    ADD_FAILURE() << "wait_connected: " << st.error().to_string();
    return nullptr;
  }
  return std::move(c.value());
}

Status delete_recursive(SyncClient& c, const std::string& path) {
  auto kids = c.get_children(path);
  if (!kids.ok()) return kids.code() == ErrorCode::kNoNode ? Status() : Status(kids.error());
  for (const std::string& k : kids->children) {
    Status st = delete_recursive(c, (path == "/" ? "/" : path + "/") + k);
    if (!st.ok()) return st;
  }
  Status st = c.remove(path);
  return st.code() == ErrorCode::kNoNode ? Status() : st;
}

void ServerTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  base_ = std::string("/ct-") + info->test_suite_name() + "-" + info->name();
  for (char& c : base_) {
    if (c == '/' && &c != &base_[0]) c = '_';
  }
  client_ = connect();
  ASSERT_TRUE(client_);
  sync_ = std::make_unique<SyncClient>(*client_);
  ASSERT_TRUE(delete_recursive(*sync_, base_).ok());
  auto created = sync_->create(base_);
  ASSERT_TRUE(created.ok()) << created.error().to_string();
}

void ServerTest::TearDown() {
  if (sync_ && client_ && !is_terminal(client_->state())) {
    (void)delete_recursive(*sync_, base_);
  }
  sync_.reset();
  client_.reset();
}

}  // namespace conclave::client::testing
