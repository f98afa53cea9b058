#include "recipes/read_write_lock.h"

#include "recipes/held_node.h"
#include "recipes/lock_internals.h"

namespace conclave::recipes {

bool is_writer(std::string_view name) {
  return sequence_of(name, kWriteLockName).has_value();
}

LockVerdict reader_verdict(const std::vector<Contender>& queue, size_t mine) {
  for (size_t i = mine; i-- > 0;) {
    if (is_writer(queue[i].name)) return {.holds = false, .watch = i};
  }
  return {.holds = true};
}

ReadWriteLock::ReadWriteLock(Connection& conn, std::string path)
    : conn_(conn),
      path_(std::move(path)),
      read_(conn, path_,
            LockDriver{
                .node_name = std::string(kReadLockName),
                .queue_names = {std::string(kReadLockName), std::string(kWriteLockName)},
                .decide = [this](const std::vector<Contender>& queue,
                                 size_t mine) { return decide_read(queue, mine); },
                .admit = {},
                .release = [this](const std::string& node) { release_read(node); },
            }),
      write_(conn, path_,
             LockDriver{
                 .node_name = std::string(kWriteLockName),
                 .queue_names = {std::string(kReadLockName), std::string(kWriteLockName)},
                 .decide = first_holds,
                 .admit = [this]() -> Status {
                   if (read_.hold_count() == 0) return Status::success();
                   return Error(ErrorCode::kApiError,
                                "this ReadWriteLock holds the read lock: its write lock would "
                                "wait for that forever");
                 },
                 .release = [this](const std::string& node) { release_write(node); },
             }) {}

ReadWriteLock::~ReadWriteLock() = default;

LockVerdict ReadWriteLock::decide_read(const std::vector<Contender>& queue, size_t mine) {
  // Suspended counts: the write lock is not known lost, and the read lock is only granted on
  // a live connection anyway.
  const LockState w = write_.state();
  const bool rides =
      write_.hold_count() > 0 && (w == LockState::kHeld || w == LockState::kSuspended);
  {
    std::lock_guard lock(mu_);
    read_rides_on_write_ = rides;
  }
  if (rides) return {.holds = true};
  return reader_verdict(queue, mine);
}

void ReadWriteLock::release_write(const std::string& node) {
  {
    std::lock_guard lock(mu_);
    if (read_rides_on_write_ && read_.hold_count() > 0) {
      // A downgrade: the read node may sit behind writers that queued while this one held the
      // write lock; they must keep waiting until the read lock is released too.
      kept_write_node_ = node;
      return;
    }
  }
  release_own_node(conn_, node);
}

void ReadWriteLock::release_read(const std::string& node) {
  release_own_node(conn_, node);
  std::optional<std::string> kept;
  {
    std::lock_guard lock(mu_);
    kept.swap(kept_write_node_);
    read_rides_on_write_ = false;
  }
  if (kept) release_own_node(conn_, *kept);
}

}  // namespace conclave::recipes
