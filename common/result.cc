#include "common/result.h"

namespace conclave {

std::string Error::to_string() const {
  std::string s(error_message(code));
  if (!detail.empty()) {
    s += ": ";
    s += detail;
  }
  return s;
}

}  // namespace conclave
