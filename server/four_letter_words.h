// Four-letter words on the client port (`echo ruok | nc host 2181`): ZooKeeper's commands
// with ZooKeeper's output formats, so monitoring scripts written for it keep working.
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
