// What the read-write lock and semaphore tests share: a contender that takes something on its
// own thread and holds it until told, so a test can line several up and see who got in and
// when; and a wait for the server to show that a session watches a node (proof that a
// waiter has looked at the queue and chosen what to wait for).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "tests/recipes/recipes_test_util.h"

namespace conclave::recipes::testing {

// Runs `take` on its own thread and marks "<who> took" (or "<who> failed" when it answered
// false); then holds until let_go(), marks "<who> gives" and runs `give`. let_go() waits for
// the thread.
class Holder {
 public:
  Holder(Recorder& rec, std::string who, std::function<bool()> take, std::function<void()> give)
      : rec_(rec), who_(std::move(who)), take_(std::move(take)), give_(std::move(give)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Holder() { let_go(); }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  void let_go() {
    {
      std::lock_guard lock(mu_);
      go_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    const bool took = take_();
    rec_.mark(who_ + (took ? " took" : " failed"));
    if (!took) return;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kWait, [&] { return go_; });
    }
    rec_.mark(who_ + " gives");
    give_();
  }

  Recorder& rec_;
  const std::string who_;
  const std::function<bool()> take_;
  const std::function<void()> give_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool go_ = false;
  std::thread thread_;
};

// Waits until the server shows `session` watching `path` (asking `wchp` again after each
// answer: a round trip each, so this does not spin). The watches then, or empty on failure.
inline std::map<std::string, std::set<SessionId>> wait_watched_by(const std::string& path,
                                                                  SessionId session) {
  const auto end = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < end) {
    auto w = watches_by_path();
    if (!w.ok()) {
      ADD_FAILURE() << w.error().to_string();
      return {};
    }
    if ((*w)[path].count(session)) return *w;
  }
  std::string all;
  if (auto w = watches_by_path(); w.ok()) {
    for (const auto& [p, ss] : *w) {
      all += "\n  " + p + ":";
      for (SessionId s : ss)
        all += " " + std::to_string(s);
    }
  }
  ADD_FAILURE() << "session " << session << " never watched " << path << "; watches:" << all;
  return {};
}

}  // namespace conclave::recipes::testing
