// Request types (ZooDefs.OpCode) and the reserved xids of the client protocol.
#pragma once

#include <cstdint>
#include <string_view>

namespace conclave::wire {

enum class OpCode : int32_t {
  kNotification = 0,
  kCreate = 1,
  kDelete = 2,
  kExists = 3,
  kGetData = 4,
  kSetData = 5,
  kGetAcl = 6,
  kSetAcl = 7,
  kGetChildren = 8,
  kSync = 9,
  kPing = 11,
  kGetChildren2 = 12,
  kCheck = 13,
  kMulti = 14,
  kCreate2 = 15,
  kReconfig = 16,
  kCheckWatches = 17,
  kRemoveWatches = 18,
  kCreateContainer = 19,
  kDeleteContainer = 20,
  kCreateTtl = 21,
  kMultiRead = 22,
  kAuth = 100,
  kSetWatches = 101,
  kSasl = 102,
  kGetEphemerals = 103,
  kGetAllChildrenNumber = 104,
  kSetWatches2 = 105,
  kAddWatch = 106,
  kWhoAmI = 107,
  kCreateSession = -10,
  kCloseSession = -11,
  kError = -1,
};

std::string_view opcode_name(OpCode op);
// The opcodes that change the tree (and go through the log).
bool is_write(OpCode op);

inline int32_t to_int(OpCode op) {
  return static_cast<int32_t>(op);
}

namespace xid {
constexpr int32_t kNotification = -1;
constexpr int32_t kPing = -2;
constexpr int32_t kAuth = -4;
constexpr int32_t kSetWatches = -8;
}  // namespace xid

// jute.maxbuffer's default: the largest packet body either side accepts.
constexpr int32_t kDefaultMaxBuffer = 0xfffff;

}  // namespace conclave::wire
