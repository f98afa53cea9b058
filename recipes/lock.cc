#include "recipes/lock.h"

#include "recipes/lock_internals.h"

namespace conclave::recipes {
namespace {

constexpr std::string_view kLockName = "lock-";

}  // namespace

std::string_view lock_state_name(LockState s) {
  switch (s) {
    case LockState::kUnlocked:
      return "unlocked";
    case LockState::kHeld:
      return "held";
    case LockState::kSuspended:
      return "suspended";
    case LockState::kLost:
      return "lost";
  }
  return "?";
}

Lock::Lock(Connection& conn, std::string path)
    : Lock(conn, std::move(path), exclusive_driver(std::string(kLockName))) {}

Lock::Lock(Connection& conn, std::string path, LockDriver driver)
    : internals_(std::make_unique<LockInternals>(conn, std::move(path), std::move(driver))) {}

Lock::~Lock() = default;  // ~LockInternals releases a held lock

Status Lock::lock() {
  auto r = internals_->acquire(std::nullopt);
  if (!r.ok()) return r.error();
  return Status::success();
}

Result<bool> Lock::try_lock(std::chrono::milliseconds timeout) {
  return internals_->acquire(LockInternals::Clock::now() + timeout);
}

Status Lock::unlock() {
  return internals_->release();
}

LockState Lock::state() const {
  return internals_->state();
}

int Lock::hold_count() const {
  return internals_->hold_count();
}

Result<FencingToken> Lock::fencing_token() const {
  return internals_->fencing_token();
}

LockState Lock::await_not_suspended(std::chrono::milliseconds timeout) const {
  return internals_->await_not_suspended(timeout);
}

void Lock::on_state_change(std::function<void(LockState)> listener) {
  internals_->on_state_change(std::move(listener));
}

const std::string& Lock::path() const {
  return internals_->path();
}

}  // namespace conclave::recipes
