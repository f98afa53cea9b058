#include "tests/recipes/recipes_test_util.h"

#include <condition_variable>
#include <mutex>
#include <sstream>

#include "common/asio.h"

#include "recipes/protected_node.h"

namespace conclave::recipes::testing {

std::unique_ptr<Connection> open_connection(client::ClientOptions options) {
  auto c = Connection::open(client::testing::env().hosts, std::move(options));
  if (!c.ok()) {
    ADD_FAILURE() << "open: " << c.error().to_string();
    return nullptr;
  }
  if (Status st = (*c)->wait_connected(kWait); !st.ok()) {
    ADD_FAILURE() << "wait_connected: " << st.error().to_string();
    return nullptr;
  }
  return std::move(c.value());
}

namespace {
// Counts child watch firings; shared with the watcher, which may fire after the wait ended.
struct Signal {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t fired = 0;
};
}  // namespace

bool wait_children(client::SyncClient& zk, const std::string& path, size_t n,
                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto signal = std::make_shared<Signal>();
  client::Watcher w([signal](const client::WatchedEvent&) {
    {
      std::lock_guard lock(signal->mu);
      ++signal->fired;
    }
    signal->cv.notify_all();
  });
  for (;;) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(signal->mu);
      seen = signal->fired;
    }
    auto kids = zk.get_children(path, w);
    if (kids.ok() && kids->children.size() == n) return true;
    if (!kids.ok() && kids.code() == ErrorCode::kNoNode && n == 0) return true;
    if (!kids.ok() && kids.code() == ErrorCode::kNoNode) {
      // No node yet to watch the children of: watch for its creation instead.
      auto ex = zk.exists(path, w);
      if (ex.ok() && ex->has_value()) continue;
    }
    std::unique_lock lock(signal->mu);
    if (!signal->cv.wait_until(lock, deadline, [&] { return signal->fired != seen; })) {
      return false;
    }
  }
}

std::vector<std::string> contenders(client::SyncClient& zk, const std::string& path,
                                    const std::string& name) {
  std::vector<std::string> out;
  auto kids = zk.get_children(path);
  if (!kids.ok()) return out;
  for (const Contender& c : sort_contenders(kids->children, name))
    out.push_back(c.name);
  return out;
}

Result<std::map<std::string, std::set<SessionId>>> watches_by_path() {
  const std::string& hosts = client::testing::env().hosts;
  const size_t colon = hosts.rfind(':');
  if (colon == std::string::npos || hosts.find(',') != std::string::npos) {
    return Error(ErrorCode::kBadArguments, "one host:port expected, not " + hosts);
  }
  std::string text;
  try {  // Asio's blocking calls throw; this is a test helper, the error becomes a value here
    asio::io_context io;
    asio::ip::tcp::socket sock(io);
    sock.connect({asio::ip::make_address(hosts.substr(0, colon)),
                  static_cast<uint16_t>(std::stoi(hosts.substr(colon + 1)))});
    asio::write(sock, asio::buffer(std::string("wchp")));
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
      const size_t n = sock.read_some(asio::buffer(buf), ec);
      text.append(buf, n);
      if (ec) break;  // the server closes the connection after its answer
    }
  } catch (const std::exception& e) {
    return Error(ErrorCode::kConnectionLoss, std::string("wchp: ") + e.what());
  }
  std::map<std::string, std::set<SessionId>> out;
  std::istringstream lines(text);
  std::string line, path;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line[0] == '/') {
      path = line;
      out[path];
    } else if (line[0] == '\t' && line.size() > 3) {
      out[path].insert(static_cast<SessionId>(std::stoull(line.substr(3), nullptr, 16)));
    }
  }
  return out;
}

bool wait_data_watch(Connection& conn, const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const SessionId sid = conn.client().session_id();
  for (;;) {
    auto w = watches_by_path();
    if (!w.ok()) {
      ADD_FAILURE() << w.error().to_string();
      return false;
    }
    auto it = w->find(path);
    if (it != w->end() && it->second.count(sid)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

bool wait_child_watch(Connection& conn, const std::string& path,
                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const Status st = conn.sync().check_watches(path, client::WatcherType::kChildren);
    if (st.ok()) return true;
    // Any other answer would come back at once again: no point asking until the deadline.
    if (st.code() != ErrorCode::kNoWatcher) return false;
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

}  // namespace conclave::recipes::testing
