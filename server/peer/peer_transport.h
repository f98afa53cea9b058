// PeerTransport: the framed TCP links between ensemble members that the ZAB core's
// messages travel over (one transport for the election port, one for the quorum port).
//
// What it promises:
// - At most one established connection per pair of members. As in ZooKeeper's
//   QuorumCnxManager, only a connection dialed by the higher id survives: a lower id only
//   "knocks" (dials, sends its handshake, and is hung up on), which makes the higher id
//   dial back at once instead of waiting out its back-off.
// - Frames on one link arrive complete and in the order they were sent. Nothing is
//   promised across a disconnect: frames queued or in flight when a link drops may be
//   lost, and the up/down callbacks tell the protocol when that can have happened.
// - send() never blocks and never grows memory past the per-peer queue bounds.
// - Redialing backs off exponentially with jitter from the injected RNG, and resets after
//   a link comes up.
//
// Threading: every member function, and every callback, runs on the one io_context
// thread given at construction (the server's event loop). Another thread must
// asio::post to it. Callbacks may call send() and may destroy the transport.
// Destruction (or stop()) closes every socket and cancels every timer; no callback
// runs after it, not even on_down for the links it closes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/result.h"

namespace conclave::peer {

// ZooKeeper's PACKETMAXSIZE for election connections.
inline constexpr size_t kElectionFrameBytesMax = 512 * 1024;

struct PeerAddress {
  int64_t id = 0;
  std::string host;
  uint16_t port = 0;
};

// What send() does when a peer's outbound queue is at its bound.
enum class OverflowPolicy {
  // Drop the OLDEST queued frames to make room. For election votes: a member's newest
  // notification supersedes its older ones, so the freshest state is what must get
  // through (ZooKeeper's addToSendQueue drops the oldest too). The queue survives a
  // disconnect, so the newest vote is delivered on the next link.
  kDropOldest,
  // Close the link and clear the queue, so the protocol sees a broken connection (on_down)
  // instead of a silent gap. For quorum messages, where a lost PROPOSAL or ACK must never
  // go unnoticed. A dropped link also clears the queue: the next link starts a new
  // conversation (the protocol re-syncs after on_up). Frames sent while no link is up are
  // queued and go out first on the next link.
  kDisconnect,
};

struct TransportOptions {
  size_t frame_bytes_max = kElectionFrameBytesMax;
  // Per-peer outbound bounds, frames waiting to be written (not counting the batch the
  // socket is writing). queue_bytes_max must be at least frame_bytes_max.
  size_t queue_bytes_max = 8 * 1024 * 1024;
  size_t queue_frames_max = 4096;
  OverflowPolicy overflow_policy = OverflowPolicy::kDropOldest;
  int64_t reconnect_backoff_initial_ms = 50;
  int64_t reconnect_backoff_max_ms = 5000;
  // Covers resolve + connect + writing the handshake on a dial.
  int64_t connect_timeout_ms = 5000;
  // How long an accepted socket may take to deliver its handshake, and how long a knock
  // waits to be hung up on.
  int64_t handshake_timeout_ms = 5000;
  // Accepted sockets still in their handshake; more are closed at once (a slowloris bound).
  size_t pending_handshakes_max = 64;
  // One socket write gathers at most this many queued bytes (at least one frame).
  size_t write_batch_bytes_max = 1024 * 1024;
};

struct TransportCallbacks {
  // A complete frame from an established link. The bytes are valid during the call only.
  std::function<void(int64_t peer_id, std::span<const uint8_t> payload)> on_message;
  std::function<void(int64_t peer_id)> on_up;
  std::function<void(int64_t peer_id)> on_down;
};

enum class SendStatus {
  kQueued,
  kQueuedDroppedOldest,  // queued; older frames were dropped to make room
  kDroppedDisconnected,  // at the bound under kDisconnect: not queued, link closed
  kLinkClosing,          // kDisconnect: the link is closing; wait for on_down
  kFrameTooLarge,        // payload over frame_bytes_max; nothing changed
  kUnknownPeer,
  kStopped,  // after stop() or destruction began
};

struct PeerStats {
  bool connected = false;
  size_t queued_frames = 0;
  size_t queued_bytes = 0;
  uint64_t dropped_frames = 0;
  uint64_t dial_attempts = 0;
  uint64_t links_up = 0;  // how many times a link to this peer came up
};

// Returns the delay before redial number `attempt` (0-based): min(max, initial * 2^attempt),
// with "equal jitter" from `random` (half fixed, half random) so that members that lost
// each other together do not redial in lockstep.
int64_t backoff_delay_ms(const TransportOptions& options, uint32_t attempt, uint64_t random);

class PeerTransport {
 public:
  // `self` is this member's id and listen address (port 0 binds a free port).
  // `rng` supplies jitter; tests inject a seeded one.
  PeerTransport(asio::io_context& io, PeerAddress self, TransportOptions options,
                TransportCallbacks callbacks, std::function<uint64_t()> rng);
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Binds and listens; returns the bound port. Connections wait in the backlog until
  // start().
  Result<uint16_t> listen();
  // Accepts and dials. `peers` are the other members (an entry with our own id is
  // ignored). Handshakes from ids not listed here are rejected.
  void start(const std::vector<PeerAddress>& peers);
  // Closes everything; idempotent; no callback runs afterwards.
  void stop();

  SendStatus send(int64_t peer_id, std::vector<uint8_t> payload);

  // Drops the link to `peer_id` (on_down follows from the loop, not inside this call);
  // the higher id then redials. For the protocol's own failure detector: TCP may take
  // many minutes to notice a peer behind a partition, and while our side holds a link
  // that looks healthy, that peer's knocks are ignored. Returns false if no link is up.
  bool disconnect(int64_t peer_id);

  bool connected(int64_t peer_id) const;
  PeerStats stats(int64_t peer_id) const;
  // Every open socket: links, dials, knocks and accepted sockets in their handshake.
  size_t open_sockets() const;
  int64_t id() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace conclave::peer
