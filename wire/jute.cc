#include "wire/jute.h"

#include <cstring>

namespace conclave::wire {

void JuteWriter::write_int(int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
               static_cast<char>(u)};
  out().append(b, 4);
}

void JuteWriter::write_long(int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  char b[8];
  for (int i = 0; i < 8; ++i)
    b[i] = static_cast<char>(u >> (56 - 8 * i));
  out().append(b, 8);
}

void JuteWriter::write_bool(bool v) {
  out().push_back(v ? 1 : 0);
}

void JuteWriter::write_buffer(std::string_view bytes) {
  write_int(static_cast<int32_t>(bytes.size()));
  out().append(bytes);
}

void JuteWriter::write_string(std::string_view s) {
  write_buffer(s);
}

void JuteWriter::write_null() {
  write_int(-1);
}

void JuteWriter::write_raw(std::string_view bytes) {
  out().append(bytes);
}

void JuteWriter::patch_int(size_t offset, int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  Bytes& o = out();
  o[offset] = static_cast<char>(u >> 24);
  o[offset + 1] = static_cast<char>(u >> 16);
  o[offset + 2] = static_cast<char>(u >> 8);
  o[offset + 3] = static_cast<char>(u);
}

bool JuteReader::need(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

int32_t JuteReader::read_int() {
  if (!need(4)) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(data_.data() + pos_);
  pos_ += 4;
  return static_cast<int32_t>((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                              (uint32_t{p[2]} << 8) | uint32_t{p[3]});
}

int64_t JuteReader::read_long() {
  if (!need(8)) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(data_.data() + pos_);
  pos_ += 8;
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i)
    u = (u << 8) | p[i];
  return static_cast<int64_t>(u);
}

bool JuteReader::read_bool() {
  if (!need(1)) return false;
  return data_[pos_++] != 0;
}

Bytes JuteReader::read_buffer() {
  last_null_ = false;
  int32_t len = read_int();
  if (!ok_) return {};
  if (len == -1) {
    last_null_ = true;
    return {};
  }
  if (len < 0 || !need(static_cast<size_t>(len))) {
    ok_ = false;
    return {};
  }
  Bytes out(data_.substr(pos_, static_cast<size_t>(len)));
  pos_ += static_cast<size_t>(len);
  return out;
}

std::string JuteReader::read_string() {
  return read_buffer();
}

int32_t JuteReader::read_count(size_t min_element_bytes) {
  last_null_ = false;
  int32_t n = read_int();
  if (!ok_) return 0;
  if (n == -1) {
    last_null_ = true;
    return 0;
  }
  if (n < 0) {
    ok_ = false;
    return 0;
  }
  size_t per = min_element_bytes == 0 ? 1 : min_element_bytes;
  if (static_cast<size_t>(n) > remaining() / per) {
    ok_ = false;
    return 0;
  }
  return n;
}

}  // namespace conclave::wire
