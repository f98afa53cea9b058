// ZooKeeper's error codes (KeeperException.Code), the one error vocabulary of every layer.
// The numeric values travel on the wire in ReplyHeader.err, so they must never change.
#pragma once

#include <cstdint>
#include <string_view>

namespace conclave {

enum class ErrorCode : int32_t {
  kOk = 0,
  kSystemError = -1,
  kRuntimeInconsistency = -2,
  kDataInconsistency = -3,
  kConnectionLoss = -4,
  kMarshallingError = -5,
  kUnimplemented = -6,
  kOperationTimeout = -7,
  kBadArguments = -8,
  kUnknownSession = -12,
  kNewConfigNoQuorum = -13,
  kReconfigInProgress = -14,
  kApiError = -100,
  kNoNode = -101,
  kNoAuth = -102,
  kBadVersion = -103,
  kNoChildrenForEphemerals = -108,
  kNodeExists = -110,
  kNotEmpty = -111,
  kSessionExpired = -112,
  kInvalidCallback = -113,
  kInvalidAcl = -114,
  kAuthFailed = -115,
  kSessionMoved = -118,
  kNotReadOnly = -119,
  kEphemeralOnLocalSession = -120,
  kNoWatcher = -121,
  kRequestTimeout = -122,
  kReconfigDisabled = -123,
  kSessionClosedRequireSaslAuth = -124,
  kQuotaExceeded = -125,
  kThrottledOp = -127,
};

// A short English description, as a person would want to read it ("Node does not exist").
std::string_view error_message(ErrorCode code);

// ZooKeeper's Java name for the code ("NONODE"), used in logs and 4lw output.
std::string_view error_name(ErrorCode code);

inline int32_t to_int(ErrorCode code) {
  return static_cast<int32_t>(code);
}

}  // namespace conclave
