// recipes::DistributedQueue — ZooKeeper's "Queues" recipe (Curator SimpleDistributedQueue): a
// FIFO of byte strings shared by any number of producers and consumers.
//
//   DistributedQueue jobs(conn, "/queues/jobs");
//   auto name = jobs.offer("payload");        // "qn-0000000007"
//   auto item = jobs.take(30s);               // blocks; nullopt after 30 s with nothing
//   if (item.ok() && item->has_value()) handle((*item)->data);
//   auto next = jobs.poll();                  // does not block: nullopt when empty
//
// Layout (Curator's): each item is a persistent-sequential child qn-<10 digits> of the queue
// path (a container). Items are taken in the order of that sequence number, which is the
// order their creates committed in; names with another prefix before "qn-" are ordered by
// their number too, not as strings.
//
// Delivery: an item is delivered to the consumer whose delete of its node succeeded; a
// competing consumer's delete finds no node and moves on to the next item, so no item is
// delivered twice, and a consumer never loses an item to a race with another. A delete whose
// reply is lost with the connection is not guessed at: each consumer handle keeps one
// ephemeral receipt node (receipt-<GUID>, a child of the queue path that is not an item), and
// takes an item with a multi that deletes it and writes its name into the receipt, so after
// the reconnect the receipt says whether the item is this consumer's (Curator's consumers skip
// receipts as foreign nodes, with a warning in their log).
//
// What is left is at-most-once: an item whose delete succeeded is gone from the queue, so a
// consumer that crashes (or whose session expires) after taking it and before handling it has
// lost it. (Curator's DistributedQueue with a lock path, not provided here, deletes an item
// only after it was handled: at-least-once instead, with duplicates after a crash.)
//
// A producer's create whose reply is lost (connection lost, deadline) fails offer() with that
// code: the item may or may not be in the queue, and offering it again could enqueue it twice,
// so the caller decides (as with SharedCounter::add). Items are persistent: they survive the
// producer, the consumers and server restarts.
//
// Bounds: an item's bytes plus the request around them must fit in one packet (jute.maxbuffer,
// 1 MiB by default, on the server and on this client); max_item_bytes() says how many bytes
// that leaves for this queue's path, and a larger offer() is refused with kBadArguments before
// anything is sent (the server would close the connection instead). Every consumer call lists
// the queue's children, so the list of waiting names must fit in one reply too: about 60,000
// items. Sequence numbers come from the parent's int32 child version: past 2^31 creates and
// deletes on one queue path the server hands out negative numbers, which this queue does not
// recognise as items.
//
// Threading: a handle may be used from several threads; its takes (poll, take) take turns, as
// they share the receipt. take() blocks, so never call it on the client's callback thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "client/types.h"
#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/waker.h"

namespace conclave::recipes {

struct QueueItem {
  std::string name;  // the node's name under the queue path, e.g. "qn-0000000007"
  client::Bytes data;
};

class DistributedQueue {
 public:
  static constexpr std::string_view kItemPrefix = "qn-";
  static constexpr std::string_view kReceiptPrefix = "receipt-";

  DistributedQueue(Connection& conn, std::string path);
  ~DistributedQueue();  // deletes this handle's receipt node
  DistributedQueue(const DistributedQueue&) = delete;
  DistributedQueue& operator=(const DistributedQueue&) = delete;

  // Appends an item; its node's name once the server has it.
  Result<std::string> offer(client::Bytes data);
  // The head of the queue, left in place; nullopt when empty.
  Result<std::optional<QueueItem>> peek();
  // Takes the head without waiting for one; nullopt when empty. An error when the server
  // could not be asked (it does wait for a dropped connection, up to the client's deadline).
  Result<std::optional<QueueItem>> poll();
  // Takes the head, waiting up to `timeout` for one to be offered; nullopt if none came. An
  // error if the session ended, or if the server could not be asked until the timeout. Each
  // call to the server is bounded by the client's deadline, so a take can last that much
  // longer than `timeout`.
  Result<std::optional<QueueItem>> take(std::chrono::milliseconds timeout);
  // How many items are waiting.
  Result<size_t> size();

  // The largest item offer() accepts on this queue's path (and this connection's chroot).
  size_t max_item_bytes() const;
  // How many takes whose reply was lost turned out, by the receipt, to be this handle's (for
  // tests and diagnostics).
  uint64_t takes_confirmed_by_receipt() const { return confirmed_by_receipt_.load(); }
  const std::string& path() const { return path_; }

 private:
  using Clock = std::chrono::steady_clock;
  // A take whose multi got no answer: settled by the receipt before anything else is taken.
  struct Unsettled {
    QueueItem item;
    std::string token;  // what the multi wrote into the receipt
  };
  enum class Claim { kTaken, kGone };
  enum class Settled { kOurs, kTheirs, kStillThere };

  // One pass over the queue: the first item this handle could take, or nullopt. With `watch`,
  // leaves a watch that fires on the next change of the queue's children (or its creation);
  // `look_again` says the queue path appeared meanwhile.
  Result<std::optional<QueueItem>> take_once(bool watch, bool& look_again);
  // Tries to take the item `name`: reads it, then deletes it and writes the receipt in one
  // multi. `receipt_checked`: the receipt was seen this pass (a NoNode is the item's).
  Result<Claim> claim(const std::string& name, bool& receipt_checked, QueueItem& out);
  // Whether the take in unsettled_ took effect, by the receipt and the item's node.
  Result<Settled> settle(const Unsettled& u);
  // settle() for unsettled_, which it clears unless the answer may still come (the
  // connection is down); `ours` gets the item when it is this handle's.
  Result<Settled> settle_unsettled(QueueItem& ours);
  Status ensure_receipt();

  Connection& conn_;
  const std::string path_;
  const std::string receipt_path_;
  Waker waker_;
  std::mutex consumer_mu_;  // consumer calls take turns: they share the receipt
  bool receipt_made_ = false;
  std::optional<Unsettled> unsettled_;
  std::atomic<uint64_t> confirmed_by_receipt_{0};
};

}  // namespace conclave::recipes
