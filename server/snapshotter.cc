#include "server/snapshotter.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"

namespace conclave::server {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kForkSnapshots = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kForkSnapshots = false;
#else
constexpr bool kForkSnapshots = true;
#endif
#else
constexpr bool kForkSnapshots = true;
#endif

std::string hex(Zxid z) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(z));
  return buf;
}

}  // namespace

Snapshotter::Snapshotter(storage::SnapshotStore& store, storage::TxnLog& log, size_t retain_count)
    : store_(store), log_(log), retain_count_(retain_count) {}

Snapshotter::~Snapshotter() {
  abandon();
  pool_.join();
}

bool Snapshotter::start(const datatree::DataTree& tree) {
  if (in_progress()) return false;
  zxid_ = tree.last_applied_zxid();
  serialized_.reset();
  if (kForkSnapshots) {
    pid_t pid = ::fork();
    if (pid == 0) {
      // The child: no other thread exists here, and none of the parent's locks may be taken.
      ::close_range(3, ~0U, 0);  // let clients see their connections close without waiting for us
      std::string bytes = tree.serialize_snapshot();
      Status s = store_.write_unpublished(zxid_, bytes);
      ::_exit(s.ok() ? 0 : 1);
    }
    if (pid > 0) {
      child_ = pid;
      state_ = State::kChildRunning;
      return true;
    }
    log::warn("fork for a snapshot failed (", std::strerror(errno), "); serializing in-line");
  }
  serialized_ = tree.serialize_snapshot();
  state_ = State::kWritten;  // written at publish time, from the pool
  return true;
}

void Snapshotter::poll(Zxid durable_zxid) {
  if (state_ == State::kChildRunning) {
    int status = 0;
    pid_t r = ::waitpid(child_, &status, WNOHANG);
    if (r == 0) return;  // still writing
    child_ = -1;
    if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      log::error("snapshot ", hex(zxid_), " failed in its writer process (status ", status, ")");
      store_.discard_unpublished(zxid_);
      state_ = State::kIdle;
      return;
    }
    state_ = State::kWritten;
  }
  if (state_ == State::kWritten && durable_zxid >= zxid_) {
    state_ = State::kIdle;
    publishing_ = true;
    std::string bytes = serialized_ ? std::move(*serialized_) : std::string();
    bool write_first = serialized_.has_value();
    serialized_.reset();
    Zxid zxid = zxid_;
    asio::post(pool_, [this, zxid, write_first, bytes = std::move(bytes)]() {
      Status s = write_first ? store_.write(zxid, bytes) : store_.publish(zxid);
      if (!s.ok()) {
        log::error("snapshot ", hex(zxid), " failed: ", s.error().to_string());
      } else {
        ++published_count_;
        log::info("snapshot ", hex(zxid), " written");
        auto oldest = store_.purge(retain_count_);
        if (oldest.ok()) {
          Status purged = log_.purge_before(*oldest + 1);
          if (!purged.ok()) log::warn("log purge failed: ", purged.error().to_string());
        }
      }
      publishing_ = false;
    });
  }
}

void Snapshotter::abandon() {
  if (state_ == State::kChildRunning && child_ > 0) {
    ::kill(child_, SIGKILL);
    ::waitpid(child_, nullptr, 0);
    child_ = -1;
  }
  if (state_ != State::kIdle) store_.discard_unpublished(zxid_);
  serialized_.reset();
  state_ = State::kIdle;
}

}  // namespace conclave::server
