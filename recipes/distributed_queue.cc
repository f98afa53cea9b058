#include "recipes/distributed_queue.h"

#include <algorithm>

#include "recipes/protected_node.h"
#include "wire/opcode.h"

namespace conclave::recipes {
namespace {

// The bytes of a create request besides its path and data: the header {xid, type}, the two
// length prefixes, the open ACL (a one-entry vector: perms, "world", "anyone") and the flags.
constexpr size_t kCreateRequestOverheadBytes = 8 + 4 + 4 + (4 + 4 + (4 + 5) + (4 + 6)) + 4;
// The bytes of a getData reply besides the data: the header {xid, zxid, err}, the data's
// length prefix and the Stat.
constexpr size_t kGetDataReplyOverheadBytes = 16 + 4 + 68;
// How many times a take is tried again on one item after a refusal that may pass (the item's
// version changed, this handle's receipt was missing).
constexpr int kClaimAttemptsMax = 20;

}  // namespace

DistributedQueue::DistributedQueue(Connection& conn, std::string path)
    : conn_(conn),
      path_(std::move(path)),
      receipt_path_(child_path(path_, std::string(kReceiptPrefix) + new_guid())),
      waker_(conn_) {}

DistributedQueue::~DistributedQueue() {
  std::lock_guard lock(consumer_mu_);
  if (receipt_made_) conn_.delete_in_background(receipt_path_);
}

size_t DistributedQueue::max_item_bytes() const {
  // The create's path is the queue path plus "/qn-" (the server appends the digits), behind
  // the chroot. Both the create and the getData reply that reads the item back must fit.
  const size_t path_bytes = conn_.client().chroot().size() + child_path(path_, kItemPrefix).size();
  const size_t overhead =
      std::max(kCreateRequestOverheadBytes + path_bytes, kGetDataReplyOverheadBytes);
  const auto limit = static_cast<size_t>(wire::kDefaultMaxBuffer);
  return overhead >= limit ? 0 : limit - overhead;
}

Result<std::string> DistributedQueue::offer(client::Bytes data) {
  if (data.size() > max_item_bytes()) {
    return Error(ErrorCode::kBadArguments,
                 "an item of " + std::to_string(data.size()) + " bytes is over the " +
                     std::to_string(max_item_bytes()) + " bytes that fit in one request to " +
                     path_ + " (jute.maxbuffer: 1 MiB less the request around the data)");
  }
  const std::string prefix = child_path(path_, kItemPrefix);
  Error last(ErrorCode::kSystemError, "no attempt made");
  for (int attempt = 0; attempt < kCreateAttemptsMax; ++attempt) {
    auto r = conn_.sync().create(prefix, data, {.mode = client::CreateMode::kPersistentSequential});
    if (r.ok()) return r->path.substr(r->path.rfind('/') + 1);
    last = r.error();
    if (r.code() == ErrorCode::kNoNode) {
      // The queue path is missing (never made, or removed by the server as an empty
      // container): nothing was created, so trying again cannot duplicate the item.
      if (Status st = ensure_containers(conn_.sync(), path_); !st.ok()) return st.error();
      continue;
    }
    if (is_retryable(r.code())) {
      return Error(r.code(), "offer to " + path_ +
                                 " got no answer: the item may or may not be in the queue (" +
                                 r.error().detail + ")");
    }
    return r.error();
  }
  return Error(last.code, "offer to " + path_ + " failed " + std::to_string(kCreateAttemptsMax) +
                              " times: " + last.detail);
}

Result<std::optional<QueueItem>> DistributedQueue::peek() {
  auto kids = conn_.sync().get_children(path_);
  if (!kids.ok()) {
    if (kids.code() == ErrorCode::kNoNode) return std::optional<QueueItem>();
    return kids.error();
  }
  for (const Contender& c : sort_contenders(kids->children, kItemPrefix)) {
    auto d = conn_.sync().get_data(child_path(path_, c.name));
    if (d.ok()) return std::optional<QueueItem>(QueueItem{c.name, std::move(d->data)});
    if (d.code() != ErrorCode::kNoNode) return d.error();
    // Taken since the listing: the next one is the head now.
  }
  return std::optional<QueueItem>();
}

Result<size_t> DistributedQueue::size() {
  auto kids = conn_.sync().get_children(path_);
  if (!kids.ok()) {
    if (kids.code() == ErrorCode::kNoNode) return size_t{0};
    return kids.error();
  }
  return sort_contenders(kids->children, kItemPrefix).size();
}

Result<std::optional<QueueItem>> DistributedQueue::poll() {
  std::lock_guard lock(consumer_mu_);
  bool look_again = false;
  return take_once(false, look_again);
}

Result<std::optional<QueueItem>> DistributedQueue::take(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::lock_guard lock(consumer_mu_);
  for (;;) {
    const uint64_t seen = waker_.mark();
    if (waker_.session_over()) {
      return Error(ErrorCode::kSessionExpired, "the session ended while waiting for an item");
    }
    bool look_again = false;
    auto r = take_once(true, look_again);
    if (r.ok() && r->has_value()) return r;
    if (r.ok() && look_again) continue;
    Waker::Woken woken = Waker::Woken::kChanged;
    if (r.ok()) {
      // The listing set the watch: any offer after it wakes this wait.
      woken = waker_.wait(seen, deadline);
    } else if (is_retryable(r.code()) || r.code() == ErrorCode::kSessionExpired) {
      woken = waker_.retry_pause(seen, deadline);
    } else {
      return r;
    }
    if (woken == Waker::Woken::kTimedOut) {
      // The server could not be asked (or a take of ours is unsettled): say so, not "empty".
      if (!r.ok()) return r;
      return std::optional<QueueItem>();
    }
    if (woken == Waker::Woken::kSessionOver) {
      return Error(ErrorCode::kSessionExpired, "the session ended while waiting for an item");
    }
  }
}

Result<std::optional<QueueItem>> DistributedQueue::take_once(bool watch, bool& look_again) {
  if (unsettled_) {
    QueueItem ours;
    auto s = settle_unsettled(ours);
    if (!s.ok()) return s.error();
    if (*s == Settled::kOurs) return std::optional<QueueItem>(std::move(ours));
    // Theirs, or still there (then it is in the listing below).
  }
  const client::Watcher none;
  auto kids = conn_.sync().get_children(path_, watch ? waker_.watcher() : none);
  if (!kids.ok()) {
    if (kids.code() != ErrorCode::kNoNode) return kids.error();
    if (!watch) return std::optional<QueueItem>();
    // No queue yet: wait for its creation instead (a failed listing sets no watch).
    auto ex = conn_.sync().exists(path_, waker_.watcher());
    if (!ex.ok()) return ex.error();
    look_again = ex->has_value();
    return std::optional<QueueItem>();
  }
  bool receipt_checked = false;
  for (const Contender& c : sort_contenders(kids->children, kItemPrefix)) {
    QueueItem item;
    auto claimed = claim(c.name, receipt_checked, item);
    if (!claimed.ok()) return claimed.error();
    if (*claimed == Claim::kTaken) return std::optional<QueueItem>(std::move(item));
  }
  return std::optional<QueueItem>();
}

Status DistributedQueue::ensure_receipt() {
  if (receipt_made_) return Status::success();
  for (int attempt = 0; attempt < kCreateAttemptsMax; ++attempt) {
    auto r = conn_.sync().create(receipt_path_, {}, {.mode = client::CreateMode::kEphemeral});
    // The GUID is this handle's own: NodeExists means an earlier attempt whose reply was lost.
    if (r.ok() || r.code() == ErrorCode::kNodeExists) {
      receipt_made_ = true;
      return Status::success();
    }
    if (!is_retryable(r.code())) return r.error();
  }
  return Error(ErrorCode::kConnectionLoss, "could not create the receipt " + receipt_path_);
}

Result<DistributedQueue::Claim> DistributedQueue::claim(const std::string& name,
                                                        bool& receipt_checked, QueueItem& out) {
  const std::string node = child_path(path_, name);
  for (int attempt = 0; attempt < kClaimAttemptsMax; ++attempt) {
    auto d = conn_.sync().get_data(node);
    if (!d.ok()) {
      if (d.code() == ErrorCode::kNoNode) return Claim::kGone;
      return d.error();
    }
    if (Status st = ensure_receipt(); !st.ok()) {
      // NoNode: the queue path is gone, and the item with it.
      if (st.code() == ErrorCode::kNoNode) return Claim::kGone;
      return st.error();
    }
    // The czxid tells this item from an earlier one of the same name (a container queue path
    // that was removed and made again counts from 0 again).
    Unsettled attempt_state{QueueItem{name, std::move(d->data)},
                            name + " " + std::to_string(d->stat.czxid)};
    // The delete checks the version read, so the data delivered is the data deleted.
    auto r = conn_.sync().multi({client::op::remove(node, d->stat.version),
                                 client::op::set_data(receipt_path_, attempt_state.token)});
    if (r.ok()) {
      out = std::move(attempt_state.item);
      return Claim::kTaken;
    }
    switch (r.code()) {
      case ErrorCode::kBadVersion:
        continue;  // rewritten since the read: read it again
      case ErrorCode::kNoNode: {
        // The item was taken by another consumer, or this handle's receipt is missing (someone
        // deleted it). One look per pass tells which.
        if (receipt_checked) return Claim::kGone;
        receipt_checked = true;
        auto ex = conn_.sync().exists(receipt_path_);
        if (!ex.ok()) return ex.error();
        if (ex->has_value()) return Claim::kGone;
        receipt_made_ = false;
        continue;
      }
      case ErrorCode::kConnectionLoss:
      case ErrorCode::kOperationTimeout: {
        // The multi may have taken effect: the receipt says (ZooKeeper orders a session's
        // requests, so a read sent now sees the multi if it is ever applied).
        unsettled_ = std::move(attempt_state);
        auto s = settle_unsettled(out);
        if (!s.ok()) return s.error();  // still unsettled: the next take settles it first
        if (*s == Settled::kOurs) return Claim::kTaken;
        if (*s == Settled::kTheirs) return Claim::kGone;
        continue;  // not applied: try again
      }
      default:
        return r.error();
    }
  }
  return Error(ErrorCode::kSystemError,
               "could not take " + node + " in " + std::to_string(kClaimAttemptsMax) + " tries");
}

Result<DistributedQueue::Settled> DistributedQueue::settle_unsettled(QueueItem& ours) {
  auto s = settle(*unsettled_);
  if (!s.ok() && is_retryable(s.code())) return s.error();  // asked again next time
  const std::string name = unsettled_->item.name;
  if (s.ok() && *s == Settled::kOurs) {
    ours = std::move(unsettled_->item);
    ++confirmed_by_receipt_;
  }
  unsettled_.reset();
  if (s.ok()) return s;
  if (s.code() == ErrorCode::kSessionExpired) {
    return Error(ErrorCode::kSessionExpired, "the session ended before the take of " + name +
                                                 " was confirmed: if it was this consumer's, "
                                                 "it is lost");
  }
  return s.error();
}

Result<DistributedQueue::Settled> DistributedQueue::settle(const Unsettled& u) {
  auto receipt = conn_.sync().get_data(receipt_path_);
  if (receipt.ok() && receipt->data == u.token) return Settled::kOurs;
  if (!receipt.ok() && receipt.code() != ErrorCode::kNoNode) return receipt.error();
  auto item = conn_.sync().exists(child_path(path_, u.item.name));
  if (!item.ok()) return item.error();
  if (item->has_value()) return Settled::kStillThere;
  if (!receipt.ok()) {
    // Someone deleted the receipt, and the item is gone: whose take it was cannot be known.
    receipt_made_ = false;
    return Error(ErrorCode::kNoNode, "the receipt " + receipt_path_ +
                                         " was deleted while the take of " + u.item.name +
                                         " was unconfirmed: the item may be lost");
  }
  return Settled::kTheirs;
}

}  // namespace conclave::recipes
