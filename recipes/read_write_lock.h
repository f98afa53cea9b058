// recipes::ReadWriteLock — a fair distributed read-write lock with Curator
// InterProcessReadWriteLock's behaviour and node layout.
//
//   ReadWriteLock rw(conn, "/locks/catalog");
//   if (Status st = rw.read_lock().lock(); !st.ok()) ...;   // shared with other readers
//   ... read while rw.read_lock().is_held() ...
//   rw.read_lock().unlock();
//   rw.write_lock().lock(); ... rw.write_lock().unlock();   // exclusive
//
// Both are Locks (recipes/lock.h): lock(), try_lock(timeout), unlock(), state(),
// fencing_token(), on_state_change(), re-entrant per handle, with the same session contract
// (kHeld --connection lost--> kSuspended at once; kHeld again if the session survives; kLost
// on expiry or if the node is deleted).
//
// The recipe (ZooKeeper's "Shared Locks"): readers create protected ephemeral-sequential nodes
// _c_<GUID>-__READ__<seq>, writers _c_<GUID>-__WRIT__<seq>, under the one path; both kinds form
// one queue ordered by sequence (the order the creates committed in).
//  - A writer holds when it is first; it watches the node just ahead of it.
//  - A reader holds when no writer is ahead of it; it watches the nearest writer ahead (the
//    only deletion that can let it in: the writers further ahead must go first anyway, and
//    readers ahead never block it). So a waiting writer blocks every reader that came after
//    it (fair: writers are not starved), and when it releases, all the readers queued behind
//    it up to the next writer get in together.
// A crashed holder's node stays until its session expires, then the queue moves on.
//
// Re-entrance, as Curator's: each handle counts its own holds. The holder of the write lock
// may also take the read lock of the same ReadWriteLock (granted at once, with its own
// __READ__ node) and then release the write lock: a downgrade. Unlike Curator, the write node
// is then kept until that read lock is released too: a writer that queued meanwhile sits
// between the two nodes, and deleting the write node would let it in while this handle still
// reads (Curator's downgrade has that hole). So after a downgrade this ReadWriteLock keeps the
// others out until its read lock is released. The other way round cannot work: a writer waits
// for every node ahead of it, its own read node included, so write_lock() while this
// ReadWriteLock holds the read lock is refused (kApiError) instead of waiting forever (Curator
// waits forever).
//
// The read and write locks of one ReadWriteLock are one participant (like Curator's, which
// belong to one thread): threads that compete need a ReadWriteLock each, and unlocking the
// write lock on one thread while another is inside read_lock().lock() is a race of the
// caller's. Blocking calls must not be made on the client's callback thread.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "recipes/connection.h"
#include "recipes/lock.h"
#include "recipes/protected_node.h"

namespace conclave::recipes {

struct LockVerdict;

// The node kinds (Curator's; the same length, so names sort alike).
inline constexpr std::string_view kReadLockName = "__READ__";
inline constexpr std::string_view kWriteLockName = "__WRIT__";

// Whether the contender `name` is a writer.
bool is_writer(std::string_view name);
// The reader's rule: holds when no writer is ahead; otherwise watches the nearest writer ahead.
LockVerdict reader_verdict(const std::vector<Contender>& queue, size_t mine);

class ReadWriteLock {
 public:
  ReadWriteLock(Connection& conn, std::string path);
  ~ReadWriteLock();  // releases both locks if held
  ReadWriteLock(const ReadWriteLock&) = delete;
  ReadWriteLock& operator=(const ReadWriteLock&) = delete;

  Lock& read_lock() { return read_; }
  Lock& write_lock() { return write_; }
  const std::string& path() const { return path_; }

 private:
  LockVerdict decide_read(const std::vector<Contender>& queue, size_t mine);
  void release_write(const std::string& node);
  void release_read(const std::string& node);

  Connection& conn_;
  const std::string path_;
  std::mutex mu_;
  // The last read verdict came from this ReadWriteLock holding the write lock.
  bool read_rides_on_write_ = false;
  // A released write lock's node, kept until the read lock taken under it is released.
  std::optional<std::string> kept_write_node_;
  // read_ before write_: write_ goes first on destruction, and its release asks read_.
  Lock read_;
  Lock write_;
};

}  // namespace conclave::recipes
