// Start-up checks of the two epochs, as ZooKeeper's QuorumPeer.loadDataBase does them
// (reference B.7), run once the newest snapshot is loaded and the log replayed:
//  - a missing epoch is created from the epoch of the last zxid and persisted (a member
//    that never took part in an election, or one upgraded from before epochs were kept);
//  - epoch(last zxid) > currentEpoch fails: the log holds entries of an epoch this member
//    never accepted as current (ZOOKEEPER-1653; ZooKeeper recovers from currentEpoch.tmp,
//    which cannot exist here because an epoch write is one atomic LevelDB write);
//  - acceptedEpoch < currentEpoch fails: acceptedEpoch is always persisted first.
// Both failures are kRuntimeInconsistency: the member must not join the ensemble.
#pragma once

#include <cstdint>

#include "storage/txn_log.h"

namespace conclave::storage {

struct Epochs {
  uint32_t accepted = 0;
  uint32_t current = 0;
};

// `last_zxid`: the newest zxid the member has, max(newest snapshot's zxid, log.last_zxid()).
Result<Epochs> recover_epochs(TxnLog& log, Zxid last_zxid);

}  // namespace conclave::storage
