// What every client test against a real server shares: the server's address and kind, the
// control pipe to the runner (run_client_tests.py) that kills, restarts and freezes it, a
// recorder that waits for events with a deadline, and a fixture giving each test its own
// subtree.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/client.h"
#include "client/sync_client.h"

namespace conclave::client::testing {

using namespace std::chrono_literals;

// How long any wait in a test may take before it counts as a failure (generous: ZooKeeper's
// JVM may be slow to restart on a loaded machine).
constexpr std::chrono::milliseconds kWait = 30s;

struct TestEnv {
  std::string hosts;        // "127.0.0.1:port"
  std::string server_kind;  // "conclave" or "zookeeper"
  int control_out = -1;
  int control_in = -1;

  // Sends a command to the runner and waits for its answer.
  Status control(const std::string& command);
};

TestEnv& env();

// Collects whatever a handle delivers (events, session states, markers) and lets the test
// wait until a condition holds.
class Recorder {
 public:
  void event(const WatchedEvent& e);
  void state(SessionState s);
  void mark(std::string what);

  Watcher watcher();  // one Watcher identity, recording into this
  std::function<void(SessionState)> state_listener();

  // Waits (up to kWait) until pred(lines) holds; lines are "event <type> <path>",
  // "state <name>" or marks, in delivery order.
  bool wait(const std::function<bool(const std::vector<std::string>&)>& pred,
            std::chrono::milliseconds timeout = kWait);
  bool wait_line(const std::string& line, std::chrono::milliseconds timeout = kWait);
  size_t count(const std::string& line) const;
  std::vector<std::string> lines() const;

 private:
  void add(std::string line);
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  Watcher watcher_;
};

std::string event_line(wire::EventType type, const std::string& path);

// A connected handle (asserting in the caller on failure: check with ASSERT_TRUE(c)).
std::unique_ptr<Client> connect(const std::string& chroot = "", ClientOptions options = {});

// Each test works under its own node /ct-<suite>-<name>, created before and removed after.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::string path(const std::string& rel = "") const { return base_ + rel; }
  const std::string& base() const { return base_; }
  // A recorder that outlives every handle of the test (a watcher may fire until the
  // handle that set it is closed, TearDown's clean-up included).
  Recorder& recorder() { return recorders_.emplace_back(); }

  std::deque<Recorder> recorders_;  // destroyed after the handles below
  std::unique_ptr<Client> client_;
  std::unique_ptr<SyncClient> sync_;

 private:
  std::string base_;
};

// Deletes `path` and everything below it.
Status delete_recursive(SyncClient& c, const std::string& path);

}  // namespace conclave::client::testing
