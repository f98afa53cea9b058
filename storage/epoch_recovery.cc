#include "storage/epoch_recovery.h"

#include <string>

#include "common/log.h"

namespace conclave::storage {

Result<Epochs> recover_epochs(TxnLog& log, Zxid last_zxid) {
  const uint32_t epoch_of_zxid = zxid_epoch(last_zxid);
  Result<std::optional<uint32_t>> current = log.current_epoch();
  if (!current.ok()) return current.error();
  if (!current->has_value()) {
    log::warn("currentEpoch not found, creating it from the last zxid: ", epoch_of_zxid);
    Status s = log.set_current_epoch(epoch_of_zxid);
    if (!s.ok()) return s.error();
    *current = epoch_of_zxid;
  }
  if (epoch_of_zxid > **current) {
    return Error(ErrorCode::kRuntimeInconsistency,
                 "the current epoch " + std::to_string(**current) +
                     " is older than the last zxid's epoch " + std::to_string(epoch_of_zxid));
  }
  Result<std::optional<uint32_t>> accepted = log.accepted_epoch();
  if (!accepted.ok()) return accepted.error();
  if (!accepted->has_value()) {
    log::warn("acceptedEpoch not found, creating it from the last zxid: ", epoch_of_zxid);
    Status s = log.set_accepted_epoch(epoch_of_zxid);
    if (!s.ok()) return s.error();
    *accepted = epoch_of_zxid;
  }
  if (**accepted < **current) {
    return Error(ErrorCode::kRuntimeInconsistency,
                 "the accepted epoch " + std::to_string(**accepted) +
                     " is less than the current epoch " + std::to_string(**current));
  }
  return Epochs{**accepted, **current};
}

}  // namespace conclave::storage
