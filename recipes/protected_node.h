// The ephemeral-sequential "contender" node that locks and leader latches are built from, with
// ZooKeeper's protected names: each node is named _c_<GUID>-<name><sequence> (Curator's
// layout, so Curator clients and ours can contend for the same path). A create whose reply is
// lost with the connection may or may not have happened; after the reconnect the GUID finds it
// again instead of creating a second node that would sit in the queue, owned by our own
// session, until the session ends (ZooKeeper's recipes page, "Recoverable errors and the
// GUID").
//
// Contenders are ordered by their sequence number (the ten digits the server appends), which
// is the order the creates committed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/sync_client.h"
#include "common/result.h"
#include "recipes/connection.h"

namespace conclave::recipes {

// How many times a create is retried after it failed for a reason that may go away
// (connection loss, the parent removed by the server as an empty container meanwhile).
constexpr int kCreateAttemptsMax = 20;

struct Contender {
  std::string name;  // the child's name, not its path
  int64_t sequence = 0;
};

// A fresh random GUID (RFC 4122 version 4 text form).
std::string new_guid();

// "_c_<guid>-<name>": what a create of `name` under protection sends (the server appends the
// sequence).
std::string protected_name(std::string_view guid, std::string_view name);

// The sequence number of a child called "...<name><10 digits>", or nullopt for any other.
std::optional<int64_t> sequence_of(std::string_view child, std::string_view name);

// The children that are contenders called `name`, by sequence number, lowest first.
std::vector<Contender> sort_contenders(const std::vector<std::string>& children,
                                       std::string_view name);

// The children that are contenders of any of the kinds `names`, by sequence number, lowest
// first: one queue across kinds (a read-write lock orders its readers and writers together).
std::vector<Contender> sort_queue(const std::vector<std::string>& children,
                                  const std::vector<std::string>& names);

// Whether `child` was created by the holder of `guid`.
bool owned_by(std::string_view child, std::string_view guid);

struct OwnNode {
  std::string path;  // dir + "/" + name
  int64_t sequence = 0;
  int64_t czxid = 0;  // the zxid of its create: greater for every later contender
};

// Creates the protected ephemeral-sequential node `name` under `dir` (creating `dir` and its
// ancestors as containers if missing), with `data`. After a connection loss or a timeout it
// looks for a node carrying `guid` before creating again.
Result<OwnNode> create_protected(Connection& conn, const std::string& dir, std::string_view guid,
                                 std::string_view name, const std::string& data);

// Picks this handle's node among `sorted` (the lowest with `guid`: a create that was retried
// may have taken effect twice) and hands any other node with `guid` to the connection's
// background delete. nullopt when none carries `guid`.
std::optional<size_t> adopt_own(Connection& conn, const std::string& dir,
                                const std::vector<Contender>& sorted, std::string_view guid);

// Creates `path` and its missing ancestors as container nodes (deleted by the server once
// their last child is gone, so lock directories do not pile up).
Status ensure_containers(client::SyncClient& sync, const std::string& path);

// dir + "/" + child, for dir "/" too.
std::string child_path(const std::string& dir, std::string_view child);

}  // namespace conclave::recipes
