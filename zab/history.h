// zab::History: the tail of a member's log that the core keeps in memory (ZooKeeper's
// committedLog, DataTree-independent): the entries after `base`, contiguous and in zxid order.
// The leader syncs learners from it (DIFF / TRUNC when a learner's position is inside it, SNAP
// otherwise); learners apply committed entries from it. Entries not yet applied are never
// trimmed, so the bound only limits how far back a DIFF can reach.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "common/zxid.h"

namespace conclave::zab {

// One log entry: a transaction as opaque bytes at its zxid.
struct Entry {
  Zxid zxid = 0;
  std::string data{};
  bool operator==(const Entry&) const = default;
};

// ZAB histories have no gaps: within an epoch the counter goes up by one, and an epoch's first
// entry has counter 1 (counter 0 is the epoch's NEWLEADER). `next` may follow `prev` only so.
bool follows(Zxid prev, Zxid next);

class History {
 public:
  // `entries` must follow `base` without a gap (checked: aborts otherwise, a caller bug).
  History(Zxid base, std::vector<Entry> entries);

  Zxid base() const { return base_; }
  Zxid last() const { return entries_.empty() ? base_ : entries_.back().zxid; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // z is base or the zxid of an entry kept.
  bool contains(Zxid z) const;
  const Entry* find(Zxid z) const;
  // The highest of base and the entries' zxids that is <= z; none when z < base.
  std::optional<Zxid> highest_at_or_below(Zxid z) const;
  // The entries with from < zxid <= to, in order (from must be >= base).
  std::vector<Entry> between(Zxid from, Zxid to) const;

  // Appends an entry that follows last() (checked: aborts otherwise).
  void append(Entry e);
  // Drops the entries above z; z must be >= base.
  void truncate(Zxid z);
  // Forgets everything: the history continues from a snapshot at `base`.
  void reset(Zxid base);
  // Drops the oldest entries at or below `floor` while more than `max_entries` are kept.
  void trim(size_t max_entries, Zxid floor);

 private:
  size_t upper_index(Zxid z) const;  // index of the first entry with zxid > z

  Zxid base_;
  std::deque<Entry> entries_;
};

}  // namespace conclave::zab
