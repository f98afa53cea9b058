#include "session/session_tracker.h"

#include <algorithm>

namespace conclave::session {

SessionTracker::SessionTracker(int32_t tick_ms) : tick_ms_(std::max(1, tick_ms)) {}

int64_t SessionTracker::bucket_for(int64_t deadline_ms) const {
  // Round up to the next tick boundary, so all sessions due within a tick expire together.
  return (deadline_ms / tick_ms_ + 1) * tick_ms_;
}

void SessionTracker::unbucket(SessionId id, const Entry& e) {
  if (e.expiry_ms == 0) return;
  auto it = buckets_.find(e.expiry_ms);
  if (it == buckets_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) buckets_.erase(it);
}

void SessionTracker::add(SessionId id, int32_t timeout_ms, int64_t now_ms) {
  auto& e = sessions_[id];
  unbucket(id, e);
  e.timeout_ms = timeout_ms;
  e.closing = false;
  e.expiry_ms = bucket_for(now_ms + timeout_ms);
  buckets_[e.expiry_ms].insert(id);
}

bool SessionTracker::touch(SessionId id, int64_t now_ms) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.closing) return false;
  Entry& e = it->second;
  int64_t expiry = bucket_for(now_ms + e.timeout_ms);
  if (expiry == e.expiry_ms) return true;
  unbucket(id, e);
  e.expiry_ms = expiry;
  buckets_[expiry].insert(id);
  return true;
}

void SessionTracker::set_closing(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  unbucket(id, it->second);
  it->second.expiry_ms = 0;
  it->second.closing = true;
}

void SessionTracker::remove(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  unbucket(id, it->second);
  sessions_.erase(it);
}

std::vector<SessionId> SessionTracker::take_expired(int64_t now_ms) {
  std::vector<SessionId> expired;
  while (!buckets_.empty() && buckets_.begin()->first <= now_ms) {
    for (SessionId id : buckets_.begin()->second) {
      Entry& e = sessions_[id];
      e.expiry_ms = 0;
      e.closing = true;
      expired.push_back(id);
    }
    buckets_.erase(buckets_.begin());
  }
  std::sort(expired.begin(), expired.end());  // deterministic order for logs and tests
  return expired;
}

bool SessionTracker::is_closing(SessionId id) const {
  auto it = sessions_.find(id);
  return it != sessions_.end() && it->second.closing;
}

int32_t SessionTracker::timeout_ms(SessionId id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? 0 : it->second.timeout_ms;
}

int64_t SessionTracker::next_expiry_ms() const {
  return buckets_.empty() ? -1 : buckets_.begin()->first;
}

int32_t SessionTracker::negotiate_timeout_ms(int32_t requested_ms, int32_t min_ms, int32_t max_ms) {
  return std::clamp(requested_ms, min_ms, max_ms);
}

}  // namespace conclave::session
