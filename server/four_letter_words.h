// Four-letter words on the client port (`echo ruok | nc host 2181`): ZooKeeper's commands
// with ZooKeeper's output formats, so monitoring scripts written for it keep working. While an
// ensemble member is not serving (not in broadcast: electing, discovering, syncing), they
// answer as ZooKeeper's do -- "This ZooKeeper instance is not currently serving requests" --
// except ruok (imok), envi, and isro (null).
//
// One word of our own, `zabs` (not a ZooKeeper word): the member's ZAB state, one
// `key<TAB>value` line each -- server_id, phase (ELECTION, DISCOVERY, SYNC, BROADCAST), role
// (LOOKING, LEADING, FOLLOWING, OBSERVING), leader (0 while electing), election_round, epoch
// (the epoch discovery settled, 0 until known), accepted_epoch, current_epoch, last_zxid (the
// newest durable one), base_zxid. It answers in every phase; a standalone server answers
// `role<TAB>standalone`. Like every word it needs the whitelist.
#pragma once

#include <string>
#include <string_view>

namespace conclave::server {

class ZkServer;
class ClientConnection;

// Whether the first four bytes of a connection spell a command we know.
bool is_four_letter_word(std::string_view word);

// The text to answer with (honouring 4lw.commands.whitelist).
std::string run_four_letter_word(ZkServer& server, const std::string& word);

// The version string reported by srvr, stat, mntr and envi.
std::string_view server_version();

}  // namespace conclave::server
