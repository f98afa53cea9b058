#include "client/shell/json.h"

#include <cstdio>

namespace conclave::shell {
namespace {

// The length of the valid UTF-8 sequence starting at s[i], or 0 if there is none.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t min_code = 0;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    min_code = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    min_code = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    min_code = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  uint32_t code = b0 & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    code = (code << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not valid UTF-8.
  if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const size_t len = utf8_sequence_length(s, i);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
    ++i;
  }
  out += "\"";
  return out;
}

std::string json_array(const std::vector<std::string>& encoded_items) {
  std::string out = "[";
  for (size_t i = 0; i < encoded_items.size(); ++i) {
    if (i > 0) out += ",";
    out += encoded_items[i];
  }
  return out + "]";
}

std::string json_string_array(const std::vector<std::string>& items) {
  std::vector<std::string> encoded;
  encoded.reserve(items.size());
  for (const auto& s : items)
    encoded.push_back(json_quote(s));
  return json_array(encoded);
}

JsonObject& JsonObject::str(std::string_view key, std::string_view value) {
  return raw(key, json_quote(value));
}

JsonObject& JsonObject::num(std::string_view key, int64_t value) {
  return raw(key, std::to_string(value));
}

JsonObject& JsonObject::boolean(std::string_view key, bool value) {
  return raw(key, value ? "true" : "false");
}

JsonObject& JsonObject::raw(std::string_view key, std::string encoded) {
  members_.emplace_back(std::string(key), std::move(encoded));
  return *this;
}

void JsonObject::append(const JsonObject& other) {
  members_.insert(members_.end(), other.members_.begin(), other.members_.end());
}

std::string JsonObject::encode() const {
  std::string out = "{";
  for (size_t i = 0; i < members_.size(); ++i) {
    if (i > 0) out += ",";
    out += json_quote(members_[i].first);
    out += ":";
    out += members_[i].second;
  }
  return out + "}";
}

}  // namespace conclave::shell
