#include "recipes/shared_counter.h"

#include <charconv>

#include "recipes/protected_node.h"

namespace conclave::recipes {

SharedCounter::SharedCounter(Connection& conn, std::string path, int64_t initial)
    : conn_(conn), path_(std::move(path)), initial_(initial) {}

Result<VersionedValue> SharedCounter::get() {
  for (int attempt = 0; attempt < kCreateAttemptsMax; ++attempt) {
    auto r = conn_.sync().get_data(path_);
    if (r.ok()) {
      int64_t v = 0;
      const char* end = r->data.data() + r->data.size();
      auto [ptr, ec] = std::from_chars(r->data.data(), end, v);
      if (ec != std::errc() || ptr != end || r->data.empty()) {
        return Error(ErrorCode::kBadArguments, path_ + " does not hold an integer");
      }
      return VersionedValue{v, r->stat.version};
    }
    if (r.code() != ErrorCode::kNoNode) return r.error();
    // Missing: create it (its parents as containers). A concurrent creator wins the same way.
    const size_t slash = path_.rfind('/');
    if (slash > 0) {
      if (Status st = ensure_containers(conn_.sync(), path_.substr(0, slash)); !st.ok()) {
        return st.error();
      }
    }
    auto created = conn_.sync().create(path_, std::to_string(initial_));
    if (!created.ok() && created.code() != ErrorCode::kNodeExists &&
        created.code() != ErrorCode::kConnectionLoss) {
      return created.error();
    }
  }
  return Error(ErrorCode::kSystemError, "could not read or create " + path_);
}

Result<bool> SharedCounter::try_set(const VersionedValue& expected, int64_t value) {
  auto r = conn_.sync().set_data(path_, std::to_string(value), expected.version);
  if (r.ok()) return true;
  if (r.code() == ErrorCode::kBadVersion) return false;
  return r.error();
}

Result<int64_t> SharedCounter::add(int64_t delta) {
  for (int attempt = 0; attempt < kCasAttemptsMax; ++attempt) {
    auto now = get();
    if (!now.ok()) return now.error();
    auto won = try_set(*now, now->value + delta);
    if (!won.ok()) {
      return Error(won.code(), "the add to " + path_ +
                                   " may or may not have taken effect: " + won.error().detail);
    }
    if (*won) return now->value + delta;
  }
  return Error(ErrorCode::kOperationTimeout,
               "the add to " + path_ + " lost " + std::to_string(kCasAttemptsMax) + " races");
}

}  // namespace conclave::recipes
