// recipes::Barrier — ZooKeeper's "Barriers" recipe (Curator DistributedBarrier): while the
// barrier node exists, wait() blocks; removing it releases every waiter at once.
//
//   Barrier b(conn, "/jobs/start");
//   b.set();                     // coordinator: hold everyone
//   ... workers: b.wait(60s) ... // true once released
//   b.remove();                  // coordinator: go
//
// The barrier node is persistent (it must outlive the coordinator's session: a coordinator
// that crashes leaves the barrier up, as in the recipe); its parents are made containers.
// A waiter watches the node with exists(), so it wakes on its deletion and on nothing else.
#pragma once

#include <chrono>
#include <string>

#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/waker.h"

namespace conclave::recipes {

class Barrier {
 public:
  Barrier(Connection& conn, std::string path);
  ~Barrier();
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // Puts the barrier up (already up is fine).
  Status set();
  // Takes it down, releasing every waiter (already down is fine).
  Status remove();
  // True once the barrier is down (at once if it is not up), false when `timeout` passed
  // first; an error if the session ended. Must not be called on the client's callback thread.
  Result<bool> wait(std::chrono::milliseconds timeout);

 private:
  Connection& conn_;
  const std::string path_;
  Waker waker_;  // the exists() watch and the session's end wake wait()
};

}  // namespace conclave::recipes
