// How results read: zkCli.sh's text layouts (Stat lines, "[a, b]" children, WATCHER events)
// and their JSON twins, and errors as sentences a person would write.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/shell/json.h"
#include "client/types.h"
#include "common/result.h"

namespace conclave::shell {

// A time in ms since the epoch as Java's Date.toString() prints it, in the local time zone:
// "Thu Jan 01 00:00:00 UTC 1970".
std::string format_time_ms(int64_t ms);
// "0x" followed by lowercase hex, as zkCli prints zxids and session ids.
std::string hex(int64_t v);

// The eleven "name = value" lines of zkCli's stat / ls -s / get -s.
std::string format_stat(const wire::Stat& stat);
std::string stat_json(const wire::Stat& stat);

// "[a, b, c]" as Java prints a List<String>.
std::string format_list(const std::vector<std::string>& items);

std::string_view event_type_name(wire::EventType type);
// zkCli's watcher output: a blank line, "WATCHER::", a blank line, then
// "WatchedEvent state:SyncConnected type:NodeDataChanged path:/a".
std::string format_event(const client::WatchedEvent& event);
std::string event_json(const client::WatchedEvent& event);

// "Node does not exist: /a", "Connection lost — retrying 127.0.0.1:2181", ... `path` is the
// node the command was about; `hosts` the servers the shell is connected to.
std::string describe_error(const Error& error, std::string_view path, std::string_view hosts);

}  // namespace conclave::shell
