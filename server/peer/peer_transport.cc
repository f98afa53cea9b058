#include "server/peer/peer_transport.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <unordered_set>

#include "common/log.h"
#include "server/peer/handshake.h"

namespace conclave::peer {

using asio::ip::tcp;
using boost::system::error_code;

namespace {

// After a failed accept (EMFILE, ENOBUFS) the listen socket stays readable; waiting a
// little keeps the loop from spinning while the condition lasts.
constexpr int64_t kAcceptRetryDelayMs = 100;

// A link's read buffer; grows to hold one frame larger than this, then shrinks back.
constexpr size_t kReadBufferBytes = 64 * 1024;

// Caps the shift so that initial << attempt cannot overflow before the min with max.
constexpr uint32_t kBackoffShiftMax = 30;

struct OutFrame {
  std::array<uint8_t, kFrameHeaderBytes> header;
  std::vector<uint8_t> payload;
};

enum class Role {
  kDial,      // we are the higher id: this becomes the link once the handshake is written
  kKnock,     // we are the lower id: the peer hangs up and dials back
  kAccepted,  // incoming, handshake not yet read: counts against pending_handshakes_max
  kInbound,   // incoming with a valid handshake: the link (a knock is hung up at once)
};

}  // namespace

int64_t backoff_delay_ms(const TransportOptions& options, uint32_t attempt, uint64_t random) {
  const int64_t initial_ms = std::max<int64_t>(1, options.reconnect_backoff_initial_ms);
  const int64_t max_ms = std::max(initial_ms, options.reconnect_backoff_max_ms);
  const uint32_t shift = std::min(attempt, kBackoffShiftMax);
  const int64_t base_ms = std::min(max_ms, initial_ms << shift);
  const int64_t half_ms = base_ms / 2;
  return base_ms - half_ms + static_cast<int64_t>(random % static_cast<uint64_t>(half_ms + 1));
}

struct Connection {
  explicit Connection(asio::io_context& io) : socket(io), deadline(io), resolver(io) {}

  tcp::socket socket;
  asio::steady_timer deadline;
  tcp::resolver resolver;
  Role role = Role::kAccepted;
  int64_t peer_id = -1;  // for kAccepted, known once the handshake is read
  bool established = false;
  bool closed = false;  // bookkeeping done; socket closed
  bool writing = false;
  std::vector<uint8_t> handshake_out;
  std::array<uint8_t, kHandshakeHeaderBytes> handshake_header{};
  std::vector<uint8_t> handshake_address;
  std::vector<uint8_t> read_buffer;  // bytes [read_begin, read_end) are not yet parsed
  size_t read_begin = 0;
  size_t read_end = 0;
  std::vector<OutFrame> in_flight;
  std::array<uint8_t, 1> knock_byte{};
};

struct PeerState {
  explicit PeerState(asio::io_context& io) : redial_timer(io) {}

  PeerAddress address;
  std::shared_ptr<Connection> link;  // established
  std::shared_ptr<Connection> dial;  // a dial or knock in progress
  std::deque<OutFrame> queue;
  size_t queued_bytes = 0;
  uint64_t dropped_frames = 0;
  uint64_t dial_attempts = 0;
  uint64_t links_up = 0;
  uint32_t backoff_attempt = 0;
  asio::steady_timer redial_timer;
  bool redial_scheduled = false;
  uint64_t redial_generation = 0;  // a cancelled wait's handler must not act
};

struct PeerTransport::Impl : std::enable_shared_from_this<PeerTransport::Impl> {
  Impl(asio::io_context& io_in, PeerAddress self_in, TransportOptions options_in,
       TransportCallbacks callbacks_in, std::function<uint64_t()> rng_in)
      : io(io_in),
        self(std::move(self_in)),
        options(options_in),
        callbacks(std::move(callbacks_in)),
        rng(std::move(rng_in)),
        acceptor(io_in),
        accept_retry_timer(io_in) {
    if (!rng) {
      auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
      rng = [engine] { return (*engine)(); };
    }
  }

  asio::io_context& io;
  PeerAddress self;
  TransportOptions options;
  TransportCallbacks callbacks;
  std::function<uint64_t()> rng;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry_timer;
  std::map<int64_t, std::unique_ptr<PeerState>> peers;
  std::unordered_set<std::shared_ptr<Connection>> sockets;
  size_t pending_handshakes = 0;
  bool started = false;
  bool stopped = false;

  std::weak_ptr<Impl> weak() { return weak_from_this(); }

  PeerState* find(int64_t id) {
    auto it = peers.find(id);
    return it == peers.end() ? nullptr : it->second.get();
  }

  std::string self_address() const { return self.host + ":" + std::to_string(self.port); }

  Result<uint16_t> listen() {
    // Checked here, in every build: a queue smaller than one frame could never send it.
    if (options.queue_bytes_max < options.frame_bytes_max || options.frame_bytes_max > UINT32_MAX) {
      return Error(ErrorCode::kBadArguments,
                   "peer transport: queue_bytes_max must be >= frame_bytes_max, and a frame "
                   "must fit a 32-bit length");
    }
    error_code ec;
    const auto address = asio::ip::make_address(self.host, ec);
    if (ec) return Error(ErrorCode::kBadArguments, "peer listen address " + self.host);
    const tcp::endpoint endpoint(address, self.port);
    acceptor.open(endpoint.protocol(), ec);
    // Reuse lets a restarted member bind its port while old connections sit in TIME_WAIT.
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error_code ignored;
      acceptor.close(ignored);
      return Error(ErrorCode::kSystemError,
                   "peer listen on " + self_address() + ": " + ec.message());
    }
    self.port = acceptor.local_endpoint(ec).port();
    return self.port;
  }

  void start(const std::vector<PeerAddress>& addresses) {
    if (started || stopped) return;
    started = true;
    for (const auto& address : addresses) {
      if (address.id == self.id || peers.count(address.id)) continue;
      auto state = std::make_unique<PeerState>(io);
      state->address = address;
      peers.emplace(address.id, std::move(state));
    }
    if (acceptor.is_open()) accept_next();
    for (auto& [id, state] : peers)
      start_dial(*state);
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    error_code ignored;
    acceptor.close(ignored);
    accept_retry_timer.cancel();
    for (auto& [id, state] : peers) {
      state->redial_timer.cancel();
      state->link.reset();
      state->dial.reset();
      state->queue.clear();
    }
    for (const auto& conn : sockets)
      shut(*conn);
    sockets.clear();
  }

  // Closes the socket and stops its timers, without bookkeeping or callbacks.
  static void shut(Connection& conn) {
    conn.closed = true;
    error_code ignored;
    conn.socket.close(ignored);
    conn.deadline.cancel();
    conn.resolver.cancel();
  }

  // ---- accepting -------------------------------------------------------------------

  void accept_next() {
    acceptor.async_accept([w = weak()](error_code ec, tcp::socket socket) {
      auto self_ptr = w.lock();
      if (!self_ptr || self_ptr->stopped) return;
      self_ptr->on_accept(ec, std::move(socket));
    });
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // EMFILE and friends: keep accepting rather than go deaf, after a pause.
      log::warn("peer ", self.id, ": accept failed: ", ec.message());
      accept_retry_timer.expires_after(std::chrono::milliseconds(kAcceptRetryDelayMs));
      accept_retry_timer.async_wait([w = weak()](error_code wait_ec) {
        auto s = w.lock();
        if (!s || s->stopped || wait_ec) return;
        s->accept_next();
      });
      return;
    }
    if (pending_handshakes >= options.pending_handshakes_max) {
      error_code ignored;
      socket.close(ignored);
      log::warn("peer ", self.id, ": too many sockets in handshake; closing a new one");
      accept_next();
      return;
    }
    auto conn = std::make_shared<Connection>(io);
    conn->socket = std::move(socket);
    conn->role = Role::kAccepted;
    sockets.insert(conn);
    ++pending_handshakes;
    arm_deadline(conn, options.handshake_timeout_ms);
    asio::async_read(conn->socket, asio::buffer(conn->handshake_header),
                     [w = weak(), conn](error_code read_ec, size_t) {
                       auto s = w.lock();
                       if (!s || s->stopped || conn->closed) return;
                       s->on_handshake_header(conn, read_ec);
                     });
    accept_next();
  }

  void on_handshake_header(const std::shared_ptr<Connection>& conn, error_code ec) {
    if (ec) return close(conn, "handshake read: " + ec.message());
    auto header = decode_handshake_header(conn->handshake_header);
    if (!header) return close(conn, header.error().detail);
    conn->peer_id = header->sender_id;
    conn->handshake_address.resize(header->address_bytes);
    asio::async_read(conn->socket, asio::buffer(conn->handshake_address),
                     [w = weak(), conn](error_code read_ec, size_t) {
                       auto s = w.lock();
                       if (!s || s->stopped || conn->closed) return;
                       s->on_handshake_address(conn, read_ec);
                     });
  }

  void on_handshake_address(const std::shared_ptr<Connection>& conn, error_code ec) {
    if (ec) return close(conn, "handshake read: " + ec.message());
    const int64_t id = conn->peer_id;
    PeerState* peer = find(id);
    if (peer == nullptr) {
      conn->peer_id = -1;  // not a link; close() must not touch a peer's state
      return close(conn, "handshake from unknown id " + std::to_string(id));
    }
    --pending_handshakes;
    conn->role = Role::kInbound;
    if (id < self.id) {
      // The lower id knocked: hang up and dial back now, unless a link or dial exists
      // (then the knock raced with our dial, and ours wins).
      conn->peer_id = -1;
      close(conn, {});
      if (!peer->link && !peer->dial) {
        cancel_redial(*peer);
        start_dial(*peer);
      }
      return;
    }
    // The higher id dialed: its connection is the link. An older link from it is stale
    // (it restarted, or lost the old one before we noticed), so the new one replaces it.
    if (peer->link) close(peer->link, "replaced by a new connection");
    if (stopped) return;
    conn->deadline.cancel();
    establish(*peer, conn);
  }

  // ---- dialing ---------------------------------------------------------------------

  void start_dial(PeerState& peer) {
    if (stopped || peer.link || peer.dial) return;
    auto conn = std::make_shared<Connection>(io);
    conn->role = peer.address.id > self.id ? Role::kKnock : Role::kDial;
    conn->peer_id = peer.address.id;
    conn->handshake_out = encode_handshake(self.id, self_address());
    peer.dial = conn;
    ++peer.dial_attempts;
    sockets.insert(conn);
    arm_deadline(conn, options.connect_timeout_ms);
    error_code numeric_ec;
    const auto numeric = asio::ip::make_address(peer.address.host, numeric_ec);
    if (!numeric_ec) {
      // Config files name members by address; skip the resolver, whose async form runs
      // on a hidden Asio thread.
      conn->socket.async_connect(tcp::endpoint(numeric, peer.address.port),
                                 [w = weak(), conn](error_code connect_ec) {
                                   auto s = w.lock();
                                   if (!s || s->stopped || conn->closed) return;
                                   s->on_connected(conn, connect_ec);
                                 });
      return;
    }
    conn->resolver.async_resolve(
        peer.address.host, std::to_string(peer.address.port),
        [w = weak(), conn](error_code ec, tcp::resolver::results_type results) {
          auto s = w.lock();
          if (!s || s->stopped || conn->closed) return;
          if (ec) return s->close(conn, "resolve: " + ec.message());
          asio::async_connect(conn->socket, results,
                              [w2 = s->weak(), conn](error_code connect_ec, const tcp::endpoint&) {
                                auto s2 = w2.lock();
                                if (!s2 || s2->stopped || conn->closed) return;
                                s2->on_connected(conn, connect_ec);
                              });
        });
  }

  void on_connected(const std::shared_ptr<Connection>& conn, error_code ec) {
    if (ec) return close(conn, "connect: " + ec.message());
    error_code ignored;
    conn->socket.set_option(tcp::no_delay(true), ignored);
    asio::async_write(conn->socket, asio::buffer(conn->handshake_out),
                      [w = weak(), conn](error_code write_ec, size_t) {
                        auto s = w.lock();
                        if (!s || s->stopped || conn->closed) return;
                        s->on_handshake_written(conn, write_ec);
                      });
  }

  void on_handshake_written(const std::shared_ptr<Connection>& conn, error_code ec) {
    if (ec) return close(conn, "handshake write: " + ec.message());
    PeerState* peer = find(conn->peer_id);
    assert(peer != nullptr && peer->dial == conn);
    if (conn->role == Role::kKnock) {
      // Wait for the hang-up; the peer sends nothing on a knock.
      arm_deadline(conn, options.handshake_timeout_ms);
      conn->socket.async_read_some(asio::buffer(conn->knock_byte),
                                   [w = weak(), conn](error_code, size_t) {
                                     auto s = w.lock();
                                     if (!s || s->stopped || conn->closed) return;
                                     s->close(conn, {});
                                   });
      return;
    }
    peer->dial.reset();
    conn->deadline.cancel();
    establish(*peer, conn);
  }

  // ---- established links -----------------------------------------------------------

  void establish(PeerState& peer, const std::shared_ptr<Connection>& conn) {
    error_code ignored;
    conn->socket.set_option(tcp::no_delay(true), ignored);
    conn->established = true;
    peer.link = conn;
    peer.backoff_attempt = 0;
    ++peer.links_up;
    cancel_redial(peer);
    read_more(conn);
    pump(peer);
    if (callbacks.on_up) callbacks.on_up(peer.address.id);
  }

  // Delivers every complete frame in the read buffer, then reads more. Reading into one
  // buffer costs a syscall per buffer-full instead of two per frame (header, payload),
  // which matters for the many small ACKs of the broadcast phase.
  void parse_frames(const std::shared_ptr<Connection>& conn) {
    // The callback may send, stop, or destroy the transport; `self_hold` keeps this
    // object alive until we return, and the checks below notice the rest.
    auto self_hold = shared_from_this();
    while (true) {
      const size_t have_bytes = conn->read_end - conn->read_begin;
      if (have_bytes < kFrameHeaderBytes) break;
      const uint32_t payload_bytes =
          decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes>(
              conn->read_buffer.data() + conn->read_begin, kFrameHeaderBytes));
      if (payload_bytes > options.frame_bytes_max) {
        return close(conn, "frame of " + std::to_string(payload_bytes) +
                               " bytes over the maximum " +
                               std::to_string(options.frame_bytes_max));
      }
      if (have_bytes < kFrameHeaderBytes + payload_bytes) break;
      const std::span<const uint8_t> payload(
          conn->read_buffer.data() + conn->read_begin + kFrameHeaderBytes, payload_bytes);
      conn->read_begin += kFrameHeaderBytes + payload_bytes;
      if (callbacks.on_message) callbacks.on_message(conn->peer_id, payload);
      if (stopped || conn->closed) return;
      // send() under kDisconnect closes only the socket; do the bookkeeping here.
      if (!conn->socket.is_open()) return close(conn, "closed by disconnect() or a queue overflow");
    }
    read_more(conn);
  }

  // Precondition: a frame header in the buffer has passed the frame_bytes_max check.
  void read_more(const std::shared_ptr<Connection>& conn) {
    auto& buffer = conn->read_buffer;
    const size_t have_bytes = conn->read_end - conn->read_begin;
    size_t frame_bytes = kFrameHeaderBytes;
    if (have_bytes >= kFrameHeaderBytes) {
      frame_bytes += decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes>(
          buffer.data() + conn->read_begin, kFrameHeaderBytes));
    }
    if (conn->read_begin > 0) {
      std::memmove(buffer.data(), buffer.data() + conn->read_begin, have_bytes);
      conn->read_begin = 0;
      conn->read_end = have_bytes;
    }
    const size_t want_bytes = std::max(kReadBufferBytes, frame_bytes);
    if (buffer.size() < want_bytes) {
      buffer.resize(want_bytes);
    } else if (buffer.size() > kReadBufferBytes && want_bytes == kReadBufferBytes) {
      // Do not keep a maximum-size buffer on every link after one large frame.
      buffer.resize(kReadBufferBytes);
      buffer.shrink_to_fit();
    }
    conn->socket.async_read_some(
        asio::buffer(buffer.data() + conn->read_end, buffer.size() - conn->read_end),
        [w = weak(), conn](error_code ec, size_t read_bytes) {
          auto s = w.lock();
          if (!s || s->stopped || conn->closed) return;
          if (ec) return s->close(conn, "read: " + ec.message());
          conn->read_end += read_bytes;
          s->parse_frames(conn);
        });
  }

  void pump(PeerState& peer) {
    const auto& conn = peer.link;
    if (!conn || conn->writing || peer.queue.empty() || !conn->socket.is_open()) return;
    size_t batch_bytes = 0;
    while (!peer.queue.empty() &&
           (conn->in_flight.empty() ||
            batch_bytes + peer.queue.front().payload.size() <= options.write_batch_bytes_max)) {
      batch_bytes += peer.queue.front().payload.size();
      peer.queued_bytes -= peer.queue.front().payload.size();
      conn->in_flight.push_back(std::move(peer.queue.front()));
      peer.queue.pop_front();
    }
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(conn->in_flight.size() * 2);
    for (const auto& frame : conn->in_flight) {
      buffers.push_back(asio::buffer(frame.header));
      if (!frame.payload.empty()) buffers.push_back(asio::buffer(frame.payload));
    }
    conn->writing = true;
    asio::async_write(conn->socket, buffers, [w = weak(), conn](error_code ec, size_t) {
      auto s = w.lock();
      if (!s || s->stopped || conn->closed) return;
      conn->writing = false;
      conn->in_flight.clear();
      if (ec) return s->close(conn, "write: " + ec.message());
      if (PeerState* p = s->find(conn->peer_id); p != nullptr && p->link == conn) s->pump(*p);
    });
  }

  SendStatus send(int64_t peer_id, std::vector<uint8_t> payload) {
    if (stopped) return SendStatus::kStopped;
    PeerState* peer = find(peer_id);
    if (peer == nullptr) return SendStatus::kUnknownPeer;
    if (payload.size() > options.frame_bytes_max) return SendStatus::kFrameTooLarge;
    const bool disconnect_policy = options.overflow_policy == OverflowPolicy::kDisconnect;
    if (disconnect_policy && peer->link && !peer->link->socket.is_open()) {
      return SendStatus::kLinkClosing;
    }
    const auto fits = [&] {
      return peer->queue.size() < options.queue_frames_max &&
             peer->queued_bytes + payload.size() <= options.queue_bytes_max;
    };
    SendStatus status = SendStatus::kQueued;
    if (!fits()) {
      if (disconnect_policy) {
        peer->dropped_frames += peer->queue.size() + 1;
        peer->queue.clear();
        peer->queued_bytes = 0;
        if (peer->link) {
          // Only the socket: on_down must not run inside send(). The pending read fails
          // (or parse_frames notices) and close() reports the link down.
          error_code ignored;
          peer->link->socket.close(ignored);
        }
        log::warn("peer ", self.id, ": queue to ", peer_id, " full; dropping the link");
        return SendStatus::kDroppedDisconnected;
      }
      while (!peer->queue.empty() && !fits()) {
        peer->queued_bytes -= peer->queue.front().payload.size();
        peer->queue.pop_front();
        ++peer->dropped_frames;
      }
      status = SendStatus::kQueuedDroppedOldest;
    }
    peer->queued_bytes += payload.size();
    peer->queue.push_back(
        OutFrame{encode_frame_header(static_cast<uint32_t>(payload.size())), std::move(payload)});
    pump(*peer);
    return status;
  }

  bool disconnect(int64_t peer_id) {
    PeerState* peer = find(peer_id);
    if (peer == nullptr || !peer->link || !peer->link->socket.is_open()) return false;
    // Only the socket, as in send(): the failing read reports the link down.
    error_code ignored;
    peer->link->socket.close(ignored);
    return true;
  }

  // ---- closing and redialing ---------------------------------------------------------

  // Closes `conn` once and settles its peer's state: a lost link reports on_down and
  // redials; a failed dial or finished knock redials after back-off.
  // `conn` by value: callers pass peer->link itself, which this resets.
  void close(std::shared_ptr<Connection> conn, const std::string& reason) {
    if (conn->closed) return;
    shut(*conn);
    sockets.erase(conn);
    if (conn->role == Role::kAccepted) {
      --pending_handshakes;
      if (!reason.empty()) log::warn("peer ", self.id, ": incoming rejected: ", reason);
      return;
    }
    PeerState* peer = find(conn->peer_id);
    if (peer == nullptr) return;
    if (peer->dial == conn) {
      peer->dial.reset();
      if (!reason.empty()) log::debug("peer ", self.id, ": dial ", conn->peer_id, ": ", reason);
      if (!peer->link) schedule_redial(*peer);
      return;
    }
    if (peer->link != conn) return;
    log::info("peer ", self.id, ": link to ", conn->peer_id, " down: ", reason);
    peer->link.reset();
    if (options.overflow_policy == OverflowPolicy::kDisconnect) {
      peer->dropped_frames += peer->queue.size();
      peer->queue.clear();
      peer->queued_bytes = 0;
    }
    schedule_redial(*peer);
    auto self_hold = shared_from_this();
    if (callbacks.on_down) callbacks.on_down(conn->peer_id);
  }

  void schedule_redial(PeerState& peer) {
    if (stopped || peer.link || peer.dial || peer.redial_scheduled) return;
    const int64_t delay_ms = backoff_delay_ms(options, peer.backoff_attempt, rng());
    ++peer.backoff_attempt;
    peer.redial_scheduled = true;
    const uint64_t generation = ++peer.redial_generation;
    peer.redial_timer.expires_after(std::chrono::milliseconds(delay_ms));
    peer.redial_timer.async_wait([w = weak(), id = peer.address.id, generation](error_code ec) {
      auto s = w.lock();
      if (!s || s->stopped || ec) return;
      PeerState* p = s->find(id);
      if (p == nullptr || p->redial_generation != generation) return;
      p->redial_scheduled = false;
      s->start_dial(*p);
    });
  }

  void cancel_redial(PeerState& peer) {
    if (!peer.redial_scheduled) return;
    peer.redial_scheduled = false;
    ++peer.redial_generation;
    peer.redial_timer.cancel();
  }

  void arm_deadline(const std::shared_ptr<Connection>& conn, int64_t timeout_ms) {
    conn->deadline.expires_after(std::chrono::milliseconds(timeout_ms));
    conn->deadline.async_wait([w = weak(), conn](error_code ec) {
      auto s = w.lock();
      if (!s || s->stopped || conn->closed || ec) return;
      s->close(conn, "timed out");
    });
  }
};

PeerTransport::PeerTransport(asio::io_context& io, PeerAddress self, TransportOptions options,
                             TransportCallbacks callbacks, std::function<uint64_t()> rng)
    : impl_(std::make_shared<Impl>(io, std::move(self), options, std::move(callbacks),
                                   std::move(rng))) {}

PeerTransport::~PeerTransport() {
  impl_->stop();
}

Result<uint16_t> PeerTransport::listen() {
  return impl_->listen();
}
void PeerTransport::start(const std::vector<PeerAddress>& peers) {
  impl_->start(peers);
}
void PeerTransport::stop() {
  impl_->stop();
}

SendStatus PeerTransport::send(int64_t peer_id, std::vector<uint8_t> payload) {
  return impl_->send(peer_id, std::move(payload));
}

bool PeerTransport::disconnect(int64_t peer_id) {
  return impl_->disconnect(peer_id);
}

bool PeerTransport::connected(int64_t peer_id) const {
  const PeerState* peer = impl_->find(peer_id);
  return peer != nullptr && peer->link && peer->link->socket.is_open();
}

PeerStats PeerTransport::stats(int64_t peer_id) const {
  PeerStats out;
  const PeerState* peer = impl_->find(peer_id);
  if (peer == nullptr) return out;
  out.connected = peer->link && peer->link->socket.is_open();
  out.queued_frames = peer->queue.size();
  out.queued_bytes = peer->queued_bytes;
  out.dropped_frames = peer->dropped_frames;
  out.dial_attempts = peer->dial_attempts;
  out.links_up = peer->links_up;
  return out;
}

size_t PeerTransport::open_sockets() const {
  return impl_->sockets.size();
}
int64_t PeerTransport::id() const {
  return impl_->self.id;
}

}  // namespace conclave::peer
