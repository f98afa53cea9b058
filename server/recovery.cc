#include "server/recovery.h"

#include "common/log.h"
#include "datatree/txn.h"

namespace conclave::server {

Result<RecoveredTree> recover_tree(const storage::SnapshotStore& snapshots,
                                   const storage::TxnLog& log, datatree::DataTreeOptions options) {
  RecoveredTree out;
  auto snap = snapshots.load_newest_valid();
  if (!snap.ok()) return snap.error();
  if (snap->has_value()) {
    auto loaded = datatree::DataTree::load_snapshot((*snap)->payload, options);
    if (!loaded.ok()) {
      return Error(loaded.code(), "snapshot " + storage::SnapshotStore::file_name((*snap)->zxid) +
                                      ": " + loaded.error().to_string());
    }
    out.tree = std::move(loaded.value());
    out.snapshot_zxid = (*snap)->zxid;
  } else {
    out.tree = std::make_unique<datatree::DataTree>(options);
  }

  // A fuzzy or older snapshot is fine: replay starts right after what the tree has applied.
  Zxid from = out.tree->last_applied_zxid() + 1;
  if (log.first_zxid() != storage::kNoZxid && log.first_zxid() > from && log.last_zxid() >= from) {
    return Error(ErrorCode::kDataInconsistency,
                 "the log starts at zxid " + std::to_string(log.first_zxid()) +
                     " but the snapshot needs it from " + std::to_string(from));
  }
  Error replay_error(ErrorCode::kOk);
  Status scanned = log.scan(from, [&](Zxid zxid, std::string_view payload) {
    auto txn = datatree::decode_txn(payload);
    if (!txn.ok()) {
      replay_error = Error(ErrorCode::kDataInconsistency,
                           "log entry " + std::to_string(zxid) + ": " + txn.error().to_string());
      return false;
    }
    if (txn->header.zxid != zxid) {
      replay_error = Error(ErrorCode::kDataInconsistency, "log entry " + std::to_string(zxid) +
                                                              " holds txn zxid " +
                                                              std::to_string(txn->header.zxid));
      return false;
    }
    out.tree->apply(*txn);
    ++out.replayed_txns;
    return true;
  });
  if (!scanned.ok()) return scanned.error();
  if (replay_error.code != ErrorCode::kOk) return replay_error;
  return out;
}

}  // namespace conclave::server
