#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace conclave::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mutex;
constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
}  // namespace

void set_level(Level level) {
  g_level = level;
}
Level level() {
  return g_level;
}

void write(Level lvl, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t secs = system_clock::to_time_t(now);
  int ms = static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%s.%03d %-5s %.*s\n", stamp, ms, kNames[static_cast<int>(lvl)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace conclave::log
