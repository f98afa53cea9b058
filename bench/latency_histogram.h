// LatencyHistogram: a fixed-size log-linear histogram of latencies in nanoseconds, for the load
// generator. It never allocates after construction, so recording costs one increment whatever
// the run length, and two histograms merge by adding their buckets.
//
// Buckets: values below 128 ns are exact; above, each power of two is split into 64 equal
// buckets, so a reported percentile is within 1/64 (1.6 %) of the true sample.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace conclave::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 6;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;  // per power of two
  static constexpr int kLinearLimit = 2 * kSubBuckets;     // values below are exact
  static constexpr int kBucketCount = kLinearLimit + (64 - 7) * kSubBuckets;

  void record(uint64_t value_ns) {
    ++buckets_[bucket_of(value_ns)];
    ++count_;
    sum_ns_ += value_ns;
    if (value_ns > max_ns_) max_ns_ = value_ns;
  }

  void merge(const LatencyHistogram& other) {
    for (int i = 0; i < kBucketCount; ++i)
      buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    sum_ns_ += other.sum_ns_;
    if (other.max_ns_ > max_ns_) max_ns_ = other.max_ns_;
  }

  uint64_t count() const { return count_; }
  uint64_t max_ns() const { return max_ns_; }
  double mean_ns() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_ns_) / count_; }

  // The value at quantile q (0 < q <= 1): the midpoint of the bucket holding the
  // ceil(q * count)-th smallest sample; 0 when empty.
  uint64_t quantile_ns(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > count_) rank = count_;
    uint64_t seen = 0;
    for (int i = 0; i < kBucketCount; ++i) {
      seen += buckets_[i];
      if (seen >= rank) {
        uint64_t mid = lower_bound_of(i) + width_of(i) / 2;
        return mid > max_ns_ ? max_ns_ : mid;
      }
    }
    return max_ns_;
  }

  static int bucket_of(uint64_t v) {
    if (v < static_cast<uint64_t>(kLinearLimit)) return static_cast<int>(v);
    int exponent = 63 - std::countl_zero(v);  // >= 7
    int shift = exponent - kSubBucketBits;
    int sub = static_cast<int>((v >> shift) & (kSubBuckets - 1));
    return kLinearLimit + (exponent - 7) * kSubBuckets + sub;
  }

  static uint64_t lower_bound_of(int bucket) {
    if (bucket < kLinearLimit) return static_cast<uint64_t>(bucket);
    int exponent = (bucket - kLinearLimit) / kSubBuckets + 7;
    int sub = (bucket - kLinearLimit) % kSubBuckets;
    return static_cast<uint64_t>(kSubBuckets + sub) << (exponent - kSubBucketBits);
  }

  static uint64_t width_of(int bucket) {
    if (bucket < kLinearLimit) return 1;
    int exponent = (bucket - kLinearLimit) / kSubBuckets + 7;
    return uint64_t{1} << (exponent - kSubBucketBits);
  }

 private:
  std::array<uint64_t, kBucketCount> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t max_ns_ = 0;
};

}  // namespace conclave::bench
