#include "server/recovery.h"

#include "common/log.h"
#include "datatree/txn.h"
#include "zab/history.h"

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
  // The first entry replayed must be the one after it: the next counter of its epoch, or the
  // first of a later epoch (an ensemble's zxids jump at every new epoch, so "+ 1" is not the
  // rule); anything else means entries between the snapshot and the log are missing.
  const Zxid applied = out.tree->last_applied_zxid();
  bool first = true;
  Error replay_error(ErrorCode::kOk);
  Status scanned = log.scan(applied + 1, [&](Zxid zxid, std::string_view payload) {
    if (first && !zab::follows(applied, zxid)) {
      replay_error = Error(ErrorCode::kDataInconsistency,
                           "the log continues at zxid " + std::to_string(zxid) +
                               " but the tree needs the entry after " + std::to_string(applied));
      return false;
    }
    first = false;
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
