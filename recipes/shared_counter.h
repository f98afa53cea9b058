// recipes::SharedCounter — an integer in one znode, changed by compare-and-set on the node's
// version (Curator SharedCount / DistributedAtomicLong), so concurrent writers never lose an
// update without a lock.
//
//   SharedCounter hits(conn, "/stats/hits");
//   auto now = hits.add(1);                    // retries on contention
//   auto v = hits.get();                       // {value, version}
//   auto won = hits.try_set(*v, v->value * 2); // false if someone wrote since
//
// The value is stored as decimal text (readable with zkCli's `get`, and the format of
// lock_counter's counter). A node that is missing is created holding `initial`.
//
// An add whose write got no answer (connection loss, deadline) fails with that code: it may
// or may not have taken effect, and retrying could count it twice, so the caller decides.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "recipes/connection.h"

namespace conclave::recipes {

// How many compare-and-set rounds add() tries under contention before it gives up.
constexpr int kCasAttemptsMax = 1000;

struct VersionedValue {
  int64_t value = 0;
  int32_t version = 0;  // the node's data version when `value` was read
};

class SharedCounter {
 public:
  SharedCounter(Connection& conn, std::string path, int64_t initial = 0);

  Result<VersionedValue> get();
  // Writes `value` if the node is still at `expected.version`: true if written, false if
  // someone wrote since (then get() again).
  Result<bool> try_set(const VersionedValue& expected, int64_t value);
  // Adds `delta` by compare-and-set rounds; the value after this add.
  Result<int64_t> add(int64_t delta);

  const std::string& path() const { return path_; }

 private:
  Connection& conn_;
  const std::string path_;
  const int64_t initial_;
};

}  // namespace conclave::recipes
