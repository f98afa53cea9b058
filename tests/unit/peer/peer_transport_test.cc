// PeerTransport over real sockets on 127.0.0.1, all transports sharing one io_context as
// the server's event loop would. Waits are conditions with deadlines, never sleeps.
#include "server/peer/peer_transport.h"

#include <sys/ioctl.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "server/peer/handshake.h"

namespace conclave::peer {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kWaitMax = 10s;
constexpr uint64_t kSeed = 20261127;

// What one member saw; survives the member's transport being destroyed and recreated.
struct Record {
  std::map<int64_t, std::vector<std::string>> received;
  std::map<int64_t, int> ups;
  std::map<int64_t, int> downs;
};

std::vector<uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

// Reserves a port that nothing listens on (refused dials), by binding and closing.
uint16_t unused_port(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

class Ensemble {
 public:
  explicit Ensemble(TransportOptions options = {}) : options_(options) {
    options_.reconnect_backoff_initial_ms = 20;
    options_.reconnect_backoff_max_ms = 200;
  }

  TransportOptions& options() { return options_; }

  // Creates and binds member `id` (port 0 picks a free one).
  PeerTransport& add(int64_t id, uint16_t port = 0) {
    Record& record = records_[id];
    auto engine = std::make_shared<std::mt19937_64>(kSeed + static_cast<uint64_t>(id));
    TransportCallbacks callbacks;
    callbacks.on_message = [&record](int64_t from, std::span<const uint8_t> payload) {
      record.received[from].emplace_back(payload.begin(), payload.end());
    };
    callbacks.on_up = [&record](int64_t peer) { ++record.ups[peer]; };
    callbacks.on_down = [&record](int64_t peer) { ++record.downs[peer]; };
    auto transport =
        std::make_unique<PeerTransport>(io, PeerAddress{id, "127.0.0.1", port}, options_,
                                        std::move(callbacks), [engine] { return (*engine)(); });
    auto bound = transport->listen();
    EXPECT_TRUE(bound.ok()) << (bound.ok() ? "" : bound.error().detail);
    ports_[id] = bound.ok() ? *bound : 0;
    return *(members_[id] = std::move(transport));
  }

  void start(int64_t id, std::vector<PeerAddress> extra = {}) {
    std::vector<PeerAddress> peers = std::move(extra);
    for (const auto& [other, port] : ports_)
      peers.push_back({other, "127.0.0.1", port});
    members_.at(id)->start(peers);
  }

  void kill(int64_t id) { members_.erase(id); }

  PeerTransport& at(int64_t id) { return *members_.at(id); }
  Record& record(int64_t id) { return records_[id]; }
  uint16_t port(int64_t id) { return ports_.at(id); }

  bool all_linked() {
    for (const auto& [id, transport] : members_) {
      for (const auto& [other, unused] : members_) {
        if (other != id && !transport->connected(other)) return false;
      }
    }
    return true;
  }

  // Runs the loop until `done` holds or kWaitMax passes; says which.
  template <class Predicate>
  bool run_until(Predicate done, std::chrono::milliseconds wait_max = kWaitMax) {
    const auto deadline = std::chrono::steady_clock::now() + wait_max;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.restart();
      io.run_for(2ms);
    }
    return true;
  }

  asio::io_context io;

 private:
  TransportOptions options_;
  std::map<int64_t, Record> records_;
  std::map<int64_t, uint16_t> ports_;
  std::map<int64_t, std::unique_ptr<PeerTransport>> members_;
};

// A hand-driven peer: a blocking socket that speaks (or mangles) the protocol.
struct RawPeer {
  explicit RawPeer(asio::io_context& io) : socket(io) {}
  void connect(uint16_t port) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void write(const std::vector<uint8_t>& bytes) { asio::write(socket, asio::buffer(bytes)); }
  size_t available() {
    boost::system::error_code ec;
    return socket.available(ec);
  }
  // True once the other side closed: a non-blocking read sees EOF or a reset.
  bool closed_by_peer() {
    socket.non_blocking(true);
    std::array<uint8_t, 256> scratch{};
    boost::system::error_code ec;
    while (true) {
      socket.read_some(asio::buffer(scratch), ec);
      if (ec == asio::error::would_block) return false;
      if (ec) return true;
    }
  }
  std::string read_frame() {
    socket.non_blocking(false);
    std::array<uint8_t, kFrameHeaderBytes> header{};
    asio::read(socket, asio::buffer(header));
    std::string payload(decode_frame_header(header), '\0');
    asio::read(socket, asio::buffer(payload));
    return payload;
  }
  tcp::socket socket;
};

std::vector<uint8_t> frame_of(const std::string& payload) {
  auto out = std::vector<uint8_t>();
  const auto header = encode_frame_header(static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

TEST(PeerTransport, AllPairsConnectWithOneConnectionPerPair) {
  Ensemble ensemble;
  for (int64_t id : {1, 2, 3})
    ensemble.add(id);
  for (int64_t id : {1, 2, 3})
    ensemble.start(id);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  // Knocks from lower ids are hung up; what stays open is exactly the two links each.
  ASSERT_TRUE(ensemble.run_until([&] {
    return ensemble.at(1).open_sockets() == 2 && ensemble.at(2).open_sockets() == 2 &&
           ensemble.at(3).open_sockets() == 2;
  }));
  for (int64_t id : {1, 2, 3}) {
    for (int64_t other : {1, 2, 3}) {
      if (other == id) continue;
      EXPECT_EQ(ensemble.record(id).ups[other], 1) << id << "->" << other;
      EXPECT_EQ(ensemble.record(id).downs[other], 0) << id << "->" << other;
      EXPECT_EQ(ensemble.at(id).stats(other).links_up, 1u);
    }
  }
}

TEST(PeerTransport, MessagesArriveInOrderPerLink) {
  Ensemble ensemble;
  for (int64_t id : {1, 2, 3})
    ensemble.add(id);
  for (int64_t id : {1, 2, 3})
    ensemble.start(id);
  constexpr int kMessages = 2000;
  // Sent before any link is up: they wait in the queue and go out in order.
  for (int i = 0; i < kMessages; ++i) {
    for (int64_t from : {1, 2, 3}) {
      for (int64_t to : {1, 2, 3}) {
        if (from == to) continue;
        ASSERT_EQ(
            ensemble.at(from).send(to, bytes_of(std::to_string(from) + ":" + std::to_string(i))),
            SendStatus::kQueued);
      }
    }
  }
  ASSERT_TRUE(ensemble.run_until([&] {
    for (int64_t to : {1, 2, 3}) {
      for (int64_t from : {1, 2, 3}) {
        if (from != to && ensemble.record(to).received[from].size() < kMessages) return false;
      }
    }
    return true;
  }));
  for (int64_t to : {1, 2, 3}) {
    for (int64_t from : {1, 2, 3}) {
      if (from == to) continue;
      const auto& got = ensemble.record(to).received[from];
      ASSERT_EQ(got.size(), static_cast<size_t>(kMessages));
      for (int i = 0; i < kMessages; ++i) {
        ASSERT_EQ(got[i], std::to_string(from) + ":" + std::to_string(i));
      }
    }
  }
}

TEST(PeerTransport, RestartedPeerIsRedialedWithBackoffAndTrafficResumes) {
  Ensemble ensemble;
  for (int64_t id : {1, 2, 3})
    ensemble.add(id);
  for (int64_t id : {1, 2, 3})
    ensemble.start(id);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));

  const uint16_t port2 = ensemble.port(2);
  ensemble.kill(2);
  ASSERT_TRUE(ensemble.run_until(
      [&] { return ensemble.record(1).downs[2] == 1 && ensemble.record(3).downs[2] == 1; }));
  // 3 (higher) redials 2 and 1 knocks 2, both refused, both backing off.
  const uint64_t dials_3 = ensemble.at(3).stats(2).dial_attempts;
  const uint64_t dials_1 = ensemble.at(1).stats(2).dial_attempts;
  ASSERT_TRUE(ensemble.run_until([&] {
    return ensemble.at(3).stats(2).dial_attempts >= dials_3 + 3 &&
           ensemble.at(1).stats(2).dial_attempts >= dials_1 + 3;
  }));
  EXPECT_FALSE(ensemble.at(3).connected(2));

  ensemble.add(2, port2);
  ensemble.start(2);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  EXPECT_EQ(ensemble.record(1).ups[2], 2);
  EXPECT_EQ(ensemble.record(3).ups[2], 2);

  for (int64_t from : {1, 3}) {
    ASSERT_EQ(ensemble.at(from).send(2, bytes_of("after")), SendStatus::kQueued);
    ASSERT_EQ(ensemble.at(2).send(from, bytes_of("back")), SendStatus::kQueued);
  }
  ASSERT_TRUE(ensemble.run_until([&] {
    return ensemble.record(2).received[1].size() == 1 &&
           ensemble.record(2).received[3].size() == 1 &&
           ensemble.record(1).received[2].size() == 1 && ensemble.record(3).received[2].size() == 1;
  }));
  EXPECT_EQ(ensemble.record(2).received[3].back(), "after");
  EXPECT_EQ(ensemble.record(3).received[2].back(), "back");
}

TEST(PeerTransport, SimultaneousDialEndsWithOneConnection) {
  Ensemble ensemble;
  ensemble.add(1);
  ensemble.add(2);
  // Both dial in the same turn of the loop.
  ensemble.start(1);
  ensemble.start(2);
  ASSERT_TRUE(ensemble.run_until([&] {
    return ensemble.all_linked() && ensemble.at(1).open_sockets() == 1 &&
           ensemble.at(2).open_sockets() == 1;
  }));
  EXPECT_EQ(ensemble.record(1).ups[2], 1);
  EXPECT_EQ(ensemble.record(2).ups[1], 1);
  EXPECT_EQ(ensemble.record(1).downs[2] + ensemble.record(2).downs[1], 0);
}

TEST(PeerTransport, KnockFromLowerIdCutsTheHigherIdsBackoffShort) {
  Ensemble ensemble;
  ensemble.options().reconnect_backoff_initial_ms = 60'000;
  ensemble.options().reconnect_backoff_max_ms = 60'000;
  // Member 2 starts alone; its dial to 1 is refused and it backs off for 30 s or more.
  const uint16_t port1 = unused_port(ensemble.io);
  ensemble.add(2);
  ensemble.start(2, {{1, "127.0.0.1", port1}});
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.at(2).open_sockets() == 0; }));
  EXPECT_EQ(ensemble.at(2).stats(1).dial_attempts, 1u);
  // Member 1 appears and knocks; 2 hangs up and dials back at once.
  ensemble.add(1, port1);
  ensemble.start(1);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }, 5s));
  EXPECT_EQ(ensemble.at(2).stats(1).dial_attempts, 2u);
}

// A second connection from the higher id while its link is open (it lost the old one without
// our noticing: a partition, a restart TCP did not report) replaces the link. close() was
// handed the link by reference, reset it, then read the peer id through it: a null
// dereference that killed members when a partition healed.
TEST(PeerTransport, ANewConnectionFromTheHigherIdReplacesItsLink) {
  Ensemble ensemble;
  // 2 redials half a second after losing its link: the raw connection is the link until then.
  ensemble.options().reconnect_backoff_initial_ms = 500;
  ensemble.options().reconnect_backoff_max_ms = 500;
  ensemble.add(1);
  ensemble.add(2);
  ensemble.start(1);
  ensemble.start(2);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));

  RawPeer again(ensemble.io);
  again.connect(ensemble.port(1));
  again.write(encode_handshake(2, "127.0.0.1:1"));
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.record(1).downs[2] == 1; }));
  // The new connection is the link now: what 1 sends goes there.
  ASSERT_EQ(ensemble.at(1).send(2, bytes_of("to the new one")), SendStatus::kQueued);
  ASSERT_TRUE(ensemble.run_until([&] { return again.available() > 0; }));
  EXPECT_EQ(again.read_frame(), "to the new one");
  // The real 2 saw its link close and dials again, which replaces the raw one in turn.
  ASSERT_TRUE(ensemble.run_until([&] {
    return again.closed_by_peer() && ensemble.all_linked() && ensemble.record(1).downs[2] == 2;
  }));
  ASSERT_EQ(ensemble.at(2).send(1, bytes_of("back")), SendStatus::kQueued);
  ASSERT_TRUE(ensemble.run_until([&] { return !ensemble.record(1).received[2].empty(); }));
  EXPECT_EQ(ensemble.record(1).received[2].back(), "back");
}

TEST(PeerTransport, MalformedHandshakeClosesOnlyThatConnection) {
  Ensemble ensemble;
  for (int64_t id : {1, 2, 3})
    ensemble.add(id);
  for (int64_t id : {1, 2, 3})
    ensemble.start(id);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));

  RawPeer garbage(ensemble.io);
  garbage.connect(ensemble.port(1));
  garbage.write(std::vector<uint8_t>(kHandshakeHeaderBytes, 0x5a));

  RawPeer oversized(ensemble.io);
  oversized.connect(ensemble.port(1));
  auto claim = encode_handshake(3, "x");
  claim[kHandshakeHeaderBytes - 2] = 0xff;  // address length 0xff01: over the bound
  claim.pop_back();
  oversized.write(claim);

  RawPeer stranger(ensemble.io);
  stranger.connect(ensemble.port(1));
  stranger.write(encode_handshake(42, "127.0.0.1:1"));

  ASSERT_TRUE(ensemble.run_until([&] {
    return garbage.closed_by_peer() && oversized.closed_by_peer() && stranger.closed_by_peer();
  }));
  EXPECT_TRUE(ensemble.all_linked());
  for (int64_t id : {1, 2, 3}) {
    for (const auto& [peer, downs] : ensemble.record(id).downs)
      EXPECT_EQ(downs, 0);
  }
  EXPECT_TRUE(ensemble.run_until([&] { return ensemble.at(1).open_sockets() == 2; }));
}

TEST(PeerTransport, SilentSocketIsClosedAtTheHandshakeDeadline) {
  Ensemble ensemble;
  ensemble.options().handshake_timeout_ms = 100;
  ensemble.add(1);
  ensemble.start(1);
  RawPeer silent(ensemble.io);
  silent.connect(ensemble.port(1));
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.at(1).open_sockets() == 1; }));
  EXPECT_TRUE(ensemble.run_until([&] { return silent.closed_by_peer(); }));
  EXPECT_EQ(ensemble.at(1).open_sockets(), 0u);
}

TEST(PeerTransport, SocketsInHandshakeAreBounded) {
  Ensemble ensemble;
  ensemble.options().pending_handshakes_max = 2;
  ensemble.add(1);
  ensemble.add(2);
  ensemble.start(1);
  ensemble.start(2);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  std::vector<std::unique_ptr<RawPeer>> silent;
  for (int i = 0; i < 3; ++i) {
    silent.push_back(std::make_unique<RawPeer>(ensemble.io));
    silent.back()->connect(ensemble.port(2));
  }
  // Two wait in their handshake; the third is closed on arrival.
  ASSERT_TRUE(ensemble.run_until([&] { return silent[2]->closed_by_peer(); }));
  EXPECT_EQ(ensemble.at(2).open_sockets(), 1u + 2u);
  EXPECT_FALSE(silent[0]->closed_by_peer());
  EXPECT_FALSE(silent[1]->closed_by_peer());
  // A member can still get in once a slot frees up.
  silent[0].reset();
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.at(2).open_sockets() == 2; }));
  const uint16_t port1 = ensemble.port(1);
  ensemble.kill(1);
  ensemble.add(1, port1);
  ensemble.start(1);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
}

TEST(PeerTransport, OversizedFrameClosesOnlyThatLink) {
  Ensemble ensemble;
  ensemble.options().frame_bytes_max = 1024;
  ensemble.options().queue_bytes_max = 64 * 1024;
  for (int64_t id : {1, 2, 3})
    ensemble.add(id);
  // Member 9 is played by hand; nothing listens at its address.
  const PeerAddress nine{9, "127.0.0.1", unused_port(ensemble.io)};
  ensemble.start(1, {nine});
  ensemble.start(2);
  ensemble.start(3);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));

  RawPeer raw(ensemble.io);
  raw.connect(ensemble.port(1));
  raw.write(encode_handshake(9, "127.0.0.1:9"));
  auto frames = frame_of(std::string(1024, 'a'));  // exactly the maximum: accepted
  const auto header = encode_frame_header(1025);
  frames.insert(frames.end(), header.begin(), header.end());
  raw.write(frames);

  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.record(1).downs[9] == 1; }));
  EXPECT_EQ(ensemble.record(1).ups[9], 1);
  ASSERT_EQ(ensemble.record(1).received[9].size(), 1u);
  EXPECT_EQ(ensemble.record(1).received[9][0].size(), 1024u);
  EXPECT_TRUE(ensemble.run_until([&] { return raw.closed_by_peer(); }));
  EXPECT_TRUE(ensemble.all_linked());
  EXPECT_EQ(ensemble.record(1).downs[2] + ensemble.record(1).downs[3], 0);
}

TEST(PeerTransport, FramesSplitAndCoalescedArbitrarilyAreReassembled) {
  Ensemble ensemble;
  ensemble.add(1);
  ensemble.start(1, {{9, "127.0.0.1", unused_port(ensemble.io)}});
  RawPeer raw(ensemble.io);
  raw.connect(ensemble.port(1));
  raw.write(encode_handshake(9, "127.0.0.1:9"));
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.at(1).connected(9); }));

  // Sizes around the 64 KiB read buffer, and one over it.
  const std::vector<size_t> sizes = {0, 1, 3, 65536 - 4, 65536, 200'000, 5};
  std::vector<std::string> sent;
  std::vector<uint8_t> stream;
  for (size_t i = 0; i < sizes.size(); ++i) {
    sent.emplace_back(sizes[i], static_cast<char>('a' + i));
    const auto frame = frame_of(sent.back());
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  // The first bytes one at a time, the rest in odd-sized pieces; the loop runs between.
  size_t offset = 0;
  while (offset < stream.size()) {
    const size_t piece_bytes = offset < 64 ? 1 : std::min<size_t>(7777, stream.size() - offset);
    raw.write(std::vector<uint8_t>(stream.begin() + offset, stream.begin() + offset + piece_bytes));
    offset += piece_bytes;
    ensemble.io.restart();
    ensemble.io.poll();
  }
  ASSERT_TRUE(
      ensemble.run_until([&] { return ensemble.record(1).received[9].size() == sent.size(); }));
  EXPECT_EQ(ensemble.record(1).received[9], sent);
  EXPECT_EQ(ensemble.record(1).downs[9], 0);
}

TEST(PeerTransport, LargeFramesUpToTheMaximumPass) {
  Ensemble ensemble;  // default maximum: ZooKeeper's 512 KiB
  ensemble.add(1);
  ensemble.add(2);
  ensemble.start(1);
  ensemble.start(2);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  std::vector<uint8_t> big(kElectionFrameBytesMax);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<uint8_t>(i * 31);
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(ensemble.at(1).send(2, big), SendStatus::kQueued);
    ASSERT_EQ(ensemble.at(2).send(1, big), SendStatus::kQueued);
  }
  EXPECT_EQ(ensemble.at(1).send(2, std::vector<uint8_t>(kElectionFrameBytesMax + 1)),
            SendStatus::kFrameTooLarge);
  EXPECT_EQ(ensemble.at(1).send(2, {}), SendStatus::kQueued);  // empty frames are frames too
  ASSERT_TRUE(ensemble.run_until([&] {
    return ensemble.record(2).received[1].size() == 5 && ensemble.record(1).received[2].size() == 4;
  }));
  const std::string expected(big.begin(), big.end());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ensemble.record(2).received[1][i], expected);
    EXPECT_EQ(ensemble.record(1).received[2][i], expected);
  }
  EXPECT_TRUE(ensemble.record(2).received[1][4].empty());
  ensemble.at(1).stop();
  EXPECT_EQ(ensemble.at(1).send(2, bytes_of("x")), SendStatus::kStopped);
  EXPECT_EQ(ensemble.record(1).downs[2] + ensemble.record(2).downs[1], 0);
}

TEST(PeerTransport, DropOldestKeepsTheNewestFramesWithinBothBounds) {
  Ensemble ensemble;
  ensemble.options().overflow_policy = OverflowPolicy::kDropOldest;
  ensemble.options().queue_frames_max = 8;
  ensemble.options().frame_bytes_max = 100;
  ensemble.options().queue_bytes_max = 500;
  ensemble.add(1);
  const PeerAddress nine{9, "127.0.0.1", unused_port(ensemble.io)};
  ensemble.start(1, {nine});

  // No link to 9 yet: the queue fills to its frame bound, then drops the oldest.
  for (int i = 0; i < 20; ++i) {
    const auto status = ensemble.at(1).send(9, bytes_of("m" + std::to_string(i)));
    EXPECT_EQ(status, i < 8 ? SendStatus::kQueued : SendStatus::kQueuedDroppedOldest) << i;
  }
  EXPECT_EQ(ensemble.at(1).stats(9).queued_frames, 8u);
  EXPECT_EQ(ensemble.at(1).stats(9).dropped_frames, 12u);
  // The byte bound: five 100-byte frames fill the 500 bytes, so the small frames queued
  // before them are evicted, oldest first, until each new one fits.
  for (int i = 0; i < 5; ++i) {
    (void)ensemble.at(1).send(9, std::vector<uint8_t>(100, static_cast<uint8_t>('A' + i)));
  }
  EXPECT_LE(ensemble.at(1).stats(9).queued_bytes, 500u);
  EXPECT_EQ(ensemble.at(1).stats(9).queued_frames, 5u);

  // 9 dials in (it is the higher id): the queue survived the wait and flushes in order.
  RawPeer raw(ensemble.io);
  raw.connect(ensemble.port(1));
  raw.write(encode_handshake(9, "127.0.0.1:9"));
  ASSERT_TRUE(ensemble.run_until([&] { return raw.available() >= 5 * (4 + 100); }));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(raw.read_frame(), std::string(100, static_cast<char>('A' + i)));
  }
  EXPECT_EQ(ensemble.at(1).stats(9).queued_frames, 0u);
}

TEST(PeerTransport, DisconnectPolicyBreaksTheLinkAtTheBoundAndRecovers) {
  Ensemble ensemble;
  ensemble.options().overflow_policy = OverflowPolicy::kDisconnect;
  ensemble.options().queue_frames_max = 4;
  ensemble.add(1);
  ensemble.add(2);
  ensemble.start(1);
  ensemble.start(2);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));

  // The loop does not run between these sends: the first is being written, four wait.
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(ensemble.at(2).send(1, bytes_of("q" + std::to_string(i))), SendStatus::kQueued);
  }
  EXPECT_EQ(ensemble.at(2).send(1, bytes_of("over")), SendStatus::kDroppedDisconnected);
  EXPECT_EQ(ensemble.at(2).send(1, bytes_of("late")), SendStatus::kLinkClosing);
  EXPECT_EQ(ensemble.at(2).stats(1).queued_frames, 0u);
  EXPECT_EQ(ensemble.at(2).stats(1).dropped_frames, 5u);
  EXPECT_EQ(ensemble.record(2).downs[1], 0);  // reported from the loop, not inside send()

  ASSERT_TRUE(ensemble.run_until(
      [&] { return ensemble.record(2).downs[1] == 1 && ensemble.record(1).downs[2] == 1; }));
  // 2 redials after back-off; traffic flows on the new link.
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  EXPECT_EQ(ensemble.record(2).ups[1], 2);
  ASSERT_EQ(ensemble.at(2).send(1, bytes_of("again")), SendStatus::kQueued);
  ASSERT_TRUE(ensemble.run_until([&] {
    const auto& got = ensemble.record(1).received[2];
    return !got.empty() && got.back() == "again";
  }));
}

TEST(PeerTransport, PeersNamedByHostNameAreResolved) {
  Ensemble ensemble;
  ensemble.add(1);
  ensemble.add(2);
  ensemble.at(1).start({{2, "localhost", ensemble.port(2)}});
  ensemble.at(2).start({{1, "localhost", ensemble.port(1)}});
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  ASSERT_EQ(ensemble.at(1).send(2, bytes_of("hi")), SendStatus::kQueued);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.record(2).received[1].size() == 1; }));
}

TEST(PeerTransport, DisconnectDropsTheLinkAndTheHigherIdRedials) {
  Ensemble ensemble;
  ensemble.add(1);
  ensemble.add(2);
  ensemble.start(1);
  ensemble.start(2);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  EXPECT_FALSE(ensemble.at(1).disconnect(7));
  EXPECT_EQ(ensemble.at(1).send(7, bytes_of("x")), SendStatus::kUnknownPeer);
  ASSERT_TRUE(ensemble.at(1).disconnect(2));  // from the lower side
  EXPECT_FALSE(ensemble.at(1).connected(2));
  EXPECT_FALSE(ensemble.at(1).disconnect(2));  // already closing
  EXPECT_EQ(ensemble.record(1).downs[2], 0);   // reported from the loop
  ASSERT_TRUE(ensemble.run_until(
      [&] { return ensemble.record(1).downs[2] == 1 && ensemble.record(2).downs[1] == 1; }));
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  EXPECT_EQ(ensemble.at(1).stats(2).links_up, 2u);
  ASSERT_EQ(ensemble.at(1).send(2, bytes_of("still here")), SendStatus::kQueued);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.record(2).received[1].size() == 1; }));
}

TEST(PeerTransport, DestroyingFromACallbackIsSafe) {
  Ensemble ensemble;
  ensemble.add(1);
  ensemble.add(2);
  ensemble.start(1);
  ensemble.start(2);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  // Rebuild 1 with a callback that destroys its own transport on the first message.
  std::unique_ptr<PeerTransport> self_destructing;
  bool got = false;
  TransportCallbacks callbacks;
  callbacks.on_message = [&](int64_t, std::span<const uint8_t>) {
    got = true;
    self_destructing.reset();
  };
  const uint16_t port1 = ensemble.port(1);
  ensemble.kill(1);
  self_destructing = std::make_unique<PeerTransport>(
      ensemble.io, PeerAddress{1, "127.0.0.1", port1}, ensemble.options(), callbacks, nullptr);
  ASSERT_TRUE(self_destructing->listen().ok());
  self_destructing->start({{2, "127.0.0.1", ensemble.port(2)}});
  ASSERT_TRUE(ensemble.run_until([&] { return self_destructing->connected(2); }));
  ASSERT_EQ(ensemble.at(2).send(1, bytes_of("bye")), SendStatus::kQueued);
  ASSERT_EQ(ensemble.at(2).send(1, bytes_of("unread")), SendStatus::kQueued);
  ASSERT_TRUE(ensemble.run_until([&] { return got; }));
  EXPECT_EQ(self_destructing, nullptr);
  EXPECT_TRUE(ensemble.run_until([&] { return !ensemble.at(2).connected(1); }));
}

TEST(PeerTransport, DestroyingWithTrafficInFlightLeavesNothingBehind) {
  Ensemble ensemble;
  for (int64_t id : {1, 2, 3})
    ensemble.add(id);
  for (int64_t id : {1, 2, 3})
    ensemble.start(id);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  for (int i = 0; i < 64; ++i) {
    for (int64_t from : {1, 2, 3}) {
      for (int64_t to : {1, 2, 3}) {
        if (from != to) (void)ensemble.at(from).send(to, std::vector<uint8_t>(100'000, 'x'));
      }
    }
  }
  // Partway through: some frames written, some read, timers armed. The sanitizer build
  // checks that the handlers still queued touch nothing freed and that nothing leaks.
  ensemble.io.restart();
  ensemble.io.run_for(5ms);
  ensemble.kill(2);
  ensemble.io.restart();
  ensemble.io.run_for(5ms);
  ensemble.kill(1);
  ensemble.kill(3);
  ensemble.io.restart();
  ensemble.io.run_for(20ms);
}

// A rough figure, not a check: small frames one way over one link.
TEST(PeerTransport, DISABLED_SmallFrameThroughput) {
  Ensemble ensemble;
  ensemble.options().queue_frames_max = 1'000'000;
  ensemble.options().queue_bytes_max = 512 * 1024 * 1024;
  ensemble.add(1);
  ensemble.add(2);
  ensemble.start(1);
  ensemble.start(2);
  ASSERT_TRUE(ensemble.run_until([&] { return ensemble.all_linked(); }));
  constexpr size_t kFrames = 500'000;
  const auto begin = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kFrames; ++i)
    (void)ensemble.at(2).send(1, std::vector<uint8_t>(40, 1));
  ASSERT_TRUE(
      ensemble.run_until([&] { return ensemble.record(1).received[2].size() == kFrames; }, 60s));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf("%zu frames of 40 bytes in %.3f s: %.0f frames/s\n", kFrames, seconds,
              static_cast<double>(kFrames) / seconds);
}

}  // namespace
}  // namespace conclave::peer

namespace conclave::peer {
namespace {

TEST(PeerTransportOptions, QueueSmallerThanAFrameIsRefusedByListen) {
  asio::io_context io;
  TransportOptions options;
  options.frame_bytes_max = 1024;
  options.queue_bytes_max = 512;  // could never hold one full frame
  PeerTransport transport(io, PeerAddress{1, "127.0.0.1", 0}, options, TransportCallbacks{},
                          [] { return uint64_t{4}; });
  auto port = transport.listen();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.code(), ErrorCode::kBadArguments);
}

}  // namespace
}  // namespace conclave::peer
