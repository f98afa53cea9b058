// ACLs as zkCli.sh writes them: "scheme:id:perms" entries separated by commas, perms drawn
// from c d r w a (world:anyone:cdrwa, digest:user:hash:cdrwa, ip:10.0.0.0/8:r, auth::cdrwa).
// The id is everything between the first and the last colon, so digest ids keep theirs.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "wire/data_types.h"

namespace conclave::shell {

// kBadArguments with a sentence naming the bad entry or permission letter.
Result<int32_t> parse_perms(std::string_view letters);
Result<wire::AclList> parse_acl(std::string_view text);

// Permission bits as letters in zkCli's order, "cdrwa".
std::string format_perms(int32_t perms);
// zkCli's getAcl layout: "'world,'anyone\n: cdrwa\n" for each entry.
std::string format_acl(const wire::AclList& acl);

}  // namespace conclave::shell
