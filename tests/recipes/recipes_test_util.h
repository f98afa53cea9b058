// What the recipe tests against a real server share (on top of tests/client/test_env.h):
// connections for recipes, and waits with a deadline for a number of children and for a
// listener's marks.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "recipes/connection.h"
#include "tests/client/test_env.h"

namespace conclave::recipes::testing {

using namespace std::chrono_literals;
using client::testing::kWait;
using client::testing::Recorder;

// A connected recipes::Connection (null, with a test failure, if that fails).
std::unique_ptr<Connection> open_connection(client::ClientOptions options = {});

// Waits until `path` has exactly `n` children (watching it, never sleeping).
bool wait_children(client::SyncClient& zk, const std::string& path, size_t n,
                   std::chrono::milliseconds timeout = kWait);

// The children of `path` sorted by sequence (names), or empty on an error.
std::vector<std::string> contenders(client::SyncClient& zk, const std::string& path,
                                    const std::string& name);

// The server's own view of data watches: `wchp` (ZooKeeper's four-letter word, which Conclave
// answers the same way) as path -> ids of the sessions watching it. Asked of the one server
// in env().hosts.
Result<std::map<std::string, std::set<SessionId>>> watches_by_path();

// Waits until the server holds a data watch (exists or getData) on `path` for `conn`'s session,
// as wchp reports it (a round trip per question, so this does not spin).
bool wait_data_watch(Connection& conn, const std::string& path,
                     std::chrono::milliseconds timeout = kWait);

// Waits until the server holds a child watch on `path` for `conn`'s session (checkWatches).
// Exact only while no other session watches `path`: Apache ZooKeeper 3.8 answers checkWatches
// for the path alone (WatchManager.containsWatcher ignores whose watch it is).
bool wait_child_watch(Connection& conn, const std::string& path,
                      std::chrono::milliseconds timeout = kWait);

}  // namespace conclave::recipes::testing
