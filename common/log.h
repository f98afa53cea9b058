// Minimal leveled logging to stderr, one line a message, safe from any thread.
#pragma once

#include <sstream>
#include <string_view>

namespace conclave::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_level(Level level);
Level level();
void write(Level level, std::string_view message);

namespace detail {
template <class... Args>
void emit(Level lvl, const Args&... args) {
  if (lvl < level()) return;
  std::ostringstream out;
  (out << ... << args);
  write(lvl, out.str());
}
}  // namespace detail

template <class... Args>
void debug(const Args&... args) {
  detail::emit(Level::kDebug, args...);
}
template <class... Args>
void info(const Args&... args) {
  detail::emit(Level::kInfo, args...);
}
template <class... Args>
void warn(const Args&... args) {
  detail::emit(Level::kWarn, args...);
}
template <class... Args>
void error(const Args&... args) {
  detail::emit(Level::kError, args...);
}

}  // namespace conclave::log
