// Live session bookkeeping on one server: when each session expires, driven by the clock in
// tick-sized buckets (as ZooKeeper's ExpiryQueue), so expiring is cheap however many sessions
// there are. Which sessions exist is replicated state (the tree's session table); this tracker
// is rebuilt from it at start-up and is not persisted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/zxid.h"

namespace conclave::session {

class SessionTracker {
 public:
  explicit SessionTracker(int32_t tick_ms);

  // Starts tracking (or re-tracks) a session that expires `timeout_ms` after `now_ms`.
  void add(SessionId id, int32_t timeout_ms, int64_t now_ms);
  // Pushes the session's expiry out by its timeout. False for unknown or closing sessions.
  bool touch(SessionId id, int64_t now_ms);
  // Marks the session as closing: it no longer expires or accepts touches, but is still known
  // until remove() (its closeSession transaction is under way).
  void set_closing(SessionId id);
  void remove(SessionId id);

  // Sessions whose expiry time has passed by `now_ms`. They are marked closing and will not be
  // returned again.
  std::vector<SessionId> take_expired(int64_t now_ms);

  bool contains(SessionId id) const { return sessions_.count(id) != 0; }
  bool is_closing(SessionId id) const;
  int32_t timeout_ms(SessionId id) const;
  size_t size() const { return sessions_.size(); }
  // Every session known, closing ones included.
  std::vector<SessionId> ids() const {
    std::vector<SessionId> out;
    out.reserve(sessions_.size());
    for (const auto& [id, e] : sessions_)
      out.push_back(id);
    return out;
  }
  // The time the next bucket expires, for scheduling the expiry timer; -1 if none.
  int64_t next_expiry_ms() const;
  // When each live session expires (monotonic ms), bucket by bucket, for the `dump` 4lw.
  const std::map<int64_t, std::unordered_set<SessionId>>& expiry_buckets() const {
    return buckets_;
  }
  // The bucket a session expires in; 0 for unknown or closing sessions.
  int64_t expiry_ms(SessionId id) const {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? 0 : it->second.expiry_ms;
  }

  // ZooKeeper's negotiation: the client's request clamped to [min, max].
  static int32_t negotiate_timeout_ms(int32_t requested_ms, int32_t min_ms, int32_t max_ms);

 private:
  struct Entry {
    int32_t timeout_ms = 0;
    int64_t expiry_ms = 0;  // bucket key; 0 while closing
    bool closing = false;
  };
  int64_t bucket_for(int64_t deadline_ms) const;
  void unbucket(SessionId id, const Entry& e);

  int32_t tick_ms_;
  std::unordered_map<SessionId, Entry> sessions_;
  std::map<int64_t, std::unordered_set<SessionId>> buckets_;
};

}  // namespace conclave::session
