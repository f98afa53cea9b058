// Result<T>: a value or an error, the way fallible functions answer at module borders
// (std::expected is C++23; this is the small part of it we use).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "common/error.h"

namespace conclave {

// An error: a ZooKeeper code plus a human-readable detail ("path must start with /").
struct Error {
  ErrorCode code = ErrorCode::kSystemError;
  std::string detail;

  Error() = default;
  Error(ErrorCode c, std::string d = {}) : code(c), detail(std::move(d)) {}
  std::string to_string() const;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  Result(ErrorCode code) : v_(Error(code)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  ErrorCode code() const { return ok() ? ErrorCode::kOk : error().code; }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}
  Status(ErrorCode code) : error_(code), ok_(code == ErrorCode::kOk) {}

  static Status success() { return Status(); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  ErrorCode code() const { return ok_ ? ErrorCode::kOk : error_.code; }

 private:
  Error error_{ErrorCode::kOk};
  bool ok_ = true;
};

}  // namespace conclave
