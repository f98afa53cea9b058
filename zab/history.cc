#include "zab/history.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace conclave::zab {
namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "zab::History: %s\n", what);
  std::abort();
}

}  // namespace

bool follows(Zxid prev, Zxid next) {
  if (zxid_epoch(next) == zxid_epoch(prev)) return zxid_counter(next) == zxid_counter(prev) + 1;
  return zxid_epoch(next) > zxid_epoch(prev) && zxid_counter(next) == 1;
}

History::History(Zxid base, std::vector<Entry> entries) : base_(base) {
  for (Entry& e : entries)
    append(std::move(e));
}

size_t History::upper_index(Zxid z) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), z,
                             [](Zxid v, const Entry& e) { return v < e.zxid; });
  return static_cast<size_t>(it - entries_.begin());
}

bool History::contains(Zxid z) const {
  return z == base_ || find(z) != nullptr;
}

const Entry* History::find(Zxid z) const {
  size_t i = upper_index(z);
  if (i == 0 || entries_[i - 1].zxid != z) return nullptr;
  return &entries_[i - 1];
}

std::optional<Zxid> History::highest_at_or_below(Zxid z) const {
  if (z < base_) return std::nullopt;
  size_t i = upper_index(z);
  return i == 0 ? base_ : entries_[i - 1].zxid;
}

std::vector<Entry> History::between(Zxid from, Zxid to) const {
  check(from >= base_, "between() below the base");
  std::vector<Entry> out;
  for (size_t i = upper_index(from); i < entries_.size() && entries_[i].zxid <= to; ++i)
    out.push_back(entries_[i]);
  return out;
}

void History::append(Entry e) {
  check(follows(last(), e.zxid), "append() would leave a gap");
  entries_.push_back(std::move(e));
}

void History::truncate(Zxid z) {
  check(z >= base_, "truncate() below the base");
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(upper_index(z)), entries_.end());
}

void History::reset(Zxid base) {
  base_ = base;
  entries_.clear();
}

void History::trim(size_t max_entries, Zxid floor) {
  while (entries_.size() > max_entries && entries_.front().zxid <= floor) {
    base_ = entries_.front().zxid;
    entries_.pop_front();
  }
}

}  // namespace conclave::zab
