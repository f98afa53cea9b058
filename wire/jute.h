// Jute, ZooKeeper's serialization: big-endian ints and longs, one-byte booleans, and
// length-prefixed strings, buffers and vectors where length -1 means null. A record is the
// plain concatenation of its fields.
//
// JuteReader trusts nothing it reads: every length is checked against the bytes that remain
// before anything is allocated, and the first failure latches `ok() == false` (later reads
// return empty values), so a decoder reads all fields and checks once at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace conclave::wire {

using Bytes = std::string;  // raw bytes; std::string for cheap small-buffer storage and moves

class JuteWriter {
 public:
  JuteWriter() = default;
  explicit JuteWriter(Bytes* out) : out_(out) {}

  void write_int(int32_t v);
  void write_long(int64_t v);
  void write_bool(bool v);
  void write_buffer(std::string_view bytes);  // buffer (length + bytes)
  void write_string(std::string_view s);      // ustring (length + UTF-8 bytes)
  void write_null();                          // null buffer/string/vector: length -1
  void write_raw(std::string_view bytes);     // no length prefix

  // Overwrites 4 bytes at `offset` with a big-endian int (for length prefixes written later).
  void patch_int(size_t offset, int32_t v);
  size_t size() const { return out().size(); }

  const Bytes& bytes() const { return out(); }
  Bytes take() { return std::move(out()); }

 private:
  Bytes& out() { return out_ ? *out_ : own_; }
  const Bytes& out() const { return out_ ? *out_ : own_; }
  Bytes own_;
  Bytes* out_ = nullptr;
};

class JuteReader {
 public:
  explicit JuteReader(std::string_view data) : data_(data) {}

  int32_t read_int();
  int64_t read_long();
  bool read_bool();
  // A buffer or ustring. A null (-1) reads as empty; `was_null()` tells them apart.
  Bytes read_buffer();
  std::string read_string();
  // A vector's element count: -1 (null) reads as 0. The count is checked against the bytes
  // left, assuming each element takes at least `min_element_bytes`, so a forged count cannot
  // make the caller reserve gigabytes.
  int32_t read_count(size_t min_element_bytes);

  bool ok() const { return ok_; }
  bool was_null() const { return last_null_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  bool at_end() const { return remaining() == 0; }
  size_t position() const { return pos_; }
  // Marks the input malformed (for record-level checks such as an unknown enum value).
  void fail() { ok_ = false; }

 private:
  bool need(size_t n);
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
  bool last_null_ = false;
};

}  // namespace conclave::wire
