// Just enough JSON writing for --output json: one flat object per result, whose values are
// strings, numbers, booleans or already-encoded JSON (arrays, nested objects).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace conclave::shell {

// A JSON string literal. Bytes that are not valid UTF-8 become U+FFFD, so any znode data
// yields valid JSON.
std::string json_quote(std::string_view s);
std::string json_string_array(const std::vector<std::string>& items);

// Members keep their insertion order, so output is stable for tests and people.
class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value);
  JsonObject& num(std::string_view key, int64_t value);
  JsonObject& boolean(std::string_view key, bool value);
  JsonObject& raw(std::string_view key, std::string encoded);

  bool empty() const { return members_.empty(); }
  // Members of `other` appended after ours.
  void append(const JsonObject& other);
  std::string encode() const;

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

// "[enc0,enc1,...]" from already-encoded items.
std::string json_array(const std::vector<std::string>& encoded_items);

}  // namespace conclave::shell
