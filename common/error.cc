#include "common/error.h"

namespace conclave {
namespace {

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;
  std::string_view message;
};

constexpr ErrorInfo kErrors[] = {
    {ErrorCode::kOk, "OK", "ok"},
    {ErrorCode::kSystemError, "SYSTEMERROR", "System error"},
    {ErrorCode::kRuntimeInconsistency, "RUNTIMEINCONSISTENCY", "Runtime inconsistency"},
    {ErrorCode::kDataInconsistency, "DATAINCONSISTENCY", "Data inconsistency"},
    {ErrorCode::kConnectionLoss, "CONNECTIONLOSS", "Connection lost"},
    {ErrorCode::kMarshallingError, "MARSHALLINGERROR",
     "Error while marshalling or unmarshalling data"},
    {ErrorCode::kUnimplemented, "UNIMPLEMENTED", "Operation is not implemented"},
    {ErrorCode::kOperationTimeout, "OPERATIONTIMEOUT", "Operation timed out"},
    {ErrorCode::kBadArguments, "BADARGUMENTS", "Invalid arguments"},
    {ErrorCode::kUnknownSession, "UNKNOWNSESSION", "Unknown session"},
    {ErrorCode::kNewConfigNoQuorum, "NEWCONFIGNOQUORUM", "New config has no quorum"},
    {ErrorCode::kReconfigInProgress, "RECONFIGINPROGRESS",
     "Another reconfiguration is in progress"},
    {ErrorCode::kApiError, "APIERROR", "API error"},
    {ErrorCode::kNoNode, "NONODE", "Node does not exist"},
    {ErrorCode::kNoAuth, "NOAUTH", "Not authenticated"},
    {ErrorCode::kBadVersion, "BADVERSION", "Version does not match"},
    {ErrorCode::kNoChildrenForEphemerals, "NOCHILDRENFOREPHEMERALS",
     "Ephemeral nodes may not have children"},
    {ErrorCode::kNodeExists, "NODEEXISTS", "Node already exists"},
    {ErrorCode::kNotEmpty, "NOTEMPTY", "Directory not empty"},
    {ErrorCode::kSessionExpired, "SESSIONEXPIRED", "Session expired"},
    {ErrorCode::kInvalidCallback, "INVALIDCALLBACK", "Invalid callback"},
    {ErrorCode::kInvalidAcl, "INVALIDACL", "Invalid ACL"},
    {ErrorCode::kAuthFailed, "AUTHFAILED", "Authentication failed"},
    {ErrorCode::kSessionMoved, "SESSIONMOVED", "Session moved to another server"},
    {ErrorCode::kNotReadOnly, "NOTREADONLY", "Not a read-only call"},
    {ErrorCode::kEphemeralOnLocalSession, "EPHEMERALONLOCALSESSION",
     "Ephemeral node on local session"},
    {ErrorCode::kNoWatcher, "NOWATCHER", "No such watcher"},
    {ErrorCode::kRequestTimeout, "REQUESTTIMEOUT", "Request timed out"},
    {ErrorCode::kReconfigDisabled, "RECONFIGDISABLED", "Reconfig is disabled"},
    {ErrorCode::kSessionClosedRequireSaslAuth, "SESSIONCLOSEDREQUIRESASLAUTH",
     "Session closed because client failed to authenticate"},
    {ErrorCode::kQuotaExceeded, "QUOTAEXCEEDED", "Quota has exceeded"},
    {ErrorCode::kThrottledOp, "THROTTLEDOP", "Op throttled due to high load"},
};

const ErrorInfo* find(ErrorCode code) {
  for (const auto& e : kErrors) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

std::string_view error_message(ErrorCode code) {
  const ErrorInfo* e = find(code);
  return e ? e->message : "Unknown error";
}

std::string_view error_name(ErrorCode code) {
  const ErrorInfo* e = find(code);
  return e ? e->name : "UNKNOWN";
}

}  // namespace conclave
