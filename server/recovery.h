// Start-up (and storage-failure) recovery: the newest valid snapshot, then every logged
// transaction after it, applied in zxid order. The result is exactly the durable state.
#pragma once

#include <cstddef>
#include <memory>

#include "common/result.h"
#include "datatree/data_tree.h"
#include "storage/snapshot_store.h"
#include "storage/txn_log.h"

namespace conclave::server {

struct RecoveredTree {
  std::unique_ptr<datatree::DataTree> tree;
  Zxid snapshot_zxid = 0;  // 0 when no snapshot was found
  size_t replayed_txns = 0;
};

Result<RecoveredTree> recover_tree(const storage::SnapshotStore& snapshots,
                                   const storage::TxnLog& log, datatree::DataTreeOptions options);

}  // namespace conclave::server
