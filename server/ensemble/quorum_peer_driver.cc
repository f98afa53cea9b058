#include "server/ensemble/quorum_peer_driver.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <iterator>
#include <sstream>
#include <utility>
#include <variant>
#include <vector>

#include "common/log.h"
#include "storage/epoch_recovery.h"
#include "zab/quorum_packet.h"

namespace conclave::ensemble {
namespace {

// ZooKeeper's election waits are in milliseconds (FastLeaderElection: finalizeWait 200 ms,
// notification timeouts from 200 ms up to 60 s); the Peer counts ticks of tickTime. A wait
// is at least one tick, so with a large tickTime the election is that much slower.
constexpr int64_t kFinalizeWaitMs = 200;
constexpr int64_t kNotificationTimeoutInitialMs = 200;
constexpr int64_t kNotificationTimeoutMaxMs = 60'000;
constexpr int64_t kCoreTickMsMax = 50;
constexpr int64_t kFollowerInfoResendMs = 200;

uint64_t ticks_for(int64_t ms, int64_t tick_ms) {
  return static_cast<uint64_t>(std::max<int64_t>(1, (ms + tick_ms - 1) / tick_ms));
}

// The core ticks more often than tickTime so that election's waits (200 ms in ZooKeeper) are
// not rounded up to whole tickTimes; initLimit and syncLimit keep their meaning in tickTimes.
int64_t core_tick_ms(const DriverOptions& o) {
  return std::min(kCoreTickMsMax, o.tick_time_ms);
}

zab::PeerOptions peer_options(const DriverOptions& o) {
  const int64_t tick = core_tick_ms(o);
  zab::PeerOptions p;
  p.election.finalize_wait_ticks = ticks_for(kFinalizeWaitMs, tick);
  p.election.notification_timeout_initial_ticks = ticks_for(kNotificationTimeoutInitialMs, tick);
  p.election.notification_timeout_max_ticks = ticks_for(kNotificationTimeoutMaxMs, tick);
  const auto limit = [&](uint64_t tick_times) {
    return ticks_for(static_cast<int64_t>(tick_times) * o.tick_time_ms, tick);
  };
  p.discovery.init_limit_ticks = limit(o.init_limit_ticks);
  // A FOLLOWERINFO sent before the quorum link was up is lost: resend well within initLimit.
  p.discovery.followerinfo_resend_ticks = std::max<uint64_t>(
      1, std::min(ticks_for(kFollowerInfoResendMs, tick), p.discovery.init_limit_ticks / 5));
  p.broadcast.init_limit_ticks = limit(o.init_limit_ticks);
  p.broadcast.sync_limit_ticks = limit(o.sync_limit_ticks);
  // ZooKeeper's leader pings every tickTime / 2.
  p.broadcast.ping_interval_ticks = ticks_for(o.tick_time_ms / 2, tick);
  p.broadcast.history_entries_max = o.history_entries_max;
  return p;
}

std::vector<peer::PeerAddress> addresses(const DriverOptions& o, bool election_port) {
  std::vector<peer::PeerAddress> out;
  for (const MemberAddress& m : o.members)
    out.push_back({m.id, m.host, election_port ? m.election_port : m.quorum_port});
  return out;
}

// PeerTransport listens on a numeric address; a host name in server.N is resolved once, here.
Result<std::string> numeric_host(asio::io_context& io, const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) return host;
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(host, "", ec);
  if (ec || results.empty()) {
    return Error(ErrorCode::kBadArguments,
                 "cannot resolve " + host + (ec ? ": " + ec.message() : std::string()));
  }
  return results.begin()->endpoint().address().to_string();
}

std::string hex(int64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

const char* mode_of(zab::PeerState role) {
  switch (role) {
    case zab::PeerState::kLeading:
      return "leader";
    case zab::PeerState::kFollowing:
      return "follower";
    case zab::PeerState::kObserving:
      return "observer";
    case zab::PeerState::kLooking:
      return "";
  }
  return "";
}

// The tail of the log the core keeps in memory for DIFF (zab::History): the entries after the
// newest snapshot, at most `entries_max` of them, without a gap (a gap would be a damaged
// log: the window then starts after it, and older learners get a SNAP).
Result<zab::History> build_history(const storage::TxnLog& log, Zxid base_zxid, Zxid last_zxid,
                                   size_t entries_max) {
  std::deque<zab::Entry> window;
  Zxid base = base_zxid;
  Status scanned = log.scan(base_zxid + 1, [&](Zxid zxid, std::string_view payload) {
    Zxid prev = window.empty() ? base : window.back().zxid;
    if (!zab::follows(prev, zxid)) {
      log::warn("zab: the log jumps from 0x", std::hex, prev, " to 0x", zxid, std::dec,
                "; DIFF will reach back only to after the jump");
      window.clear();
      base = zxid;  // the window restarts after this entry
      return true;
    }
    window.push_back(zab::Entry{zxid, std::string(payload)});
    if (window.size() > entries_max) {
      base = window.front().zxid;
      window.pop_front();
    }
    return true;
  });
  if (!scanned.ok()) return scanned.error();
  if ((window.empty() ? base : window.back().zxid) != last_zxid) {
    // The snapshot is newer than the log (its entries were purged or truncated): the window
    // is empty at the snapshot.
    if (!window.empty() || base > last_zxid) {
      return Error(ErrorCode::kDataInconsistency, "the log does not end at the last durable zxid");
    }
    base = last_zxid;
  }
  return zab::History(
      base, {std::make_move_iterator(window.begin()), std::make_move_iterator(window.end())});
}

}  // namespace

QuorumPeerDriver::QuorumPeerDriver(asio::io_context& io, DriverOptions options,
                                   storage::TxnLog& log, Zxid last_zxid, Zxid base_zxid,
                                   StateMachine* state_machine)
    : io_(io),
      options_(std::move(options)),
      log_(log),
      last_zxid_(last_zxid),
      base_zxid_(base_zxid),
      state_machine_(state_machine),
      tick_timer_(io) {}

QuorumPeerDriver::~QuorumPeerDriver() {
  stop();
}

Status QuorumPeerDriver::start() {
  std::vector<zab::ServerId> participants, observers;
  const MemberAddress* self = nullptr;
  for (const MemberAddress& m : options_.members) {
    (m.observer ? observers : participants).push_back(m.id);
    if (m.id == options_.my_id) self = &m;
  }
  if (self == nullptr) {
    return Error(ErrorCode::kBadArguments,
                 "server id " + std::to_string(options_.my_id) + " is not a member");
  }
  auto verifier = zab::QuorumVerifier::majority(participants, observers);
  if (!verifier.ok()) return verifier.error();
  verifier_ = std::make_unique<zab::QuorumVerifier>(std::move(verifier.value()));

  // ZooKeeper's loadDataBase checks (missing epochs created, inconsistent ones refused).
  auto epochs = storage::recover_epochs(log_, last_zxid_);
  if (!epochs.ok()) return epochs.error();
  const zab::DurableState durable{epochs->accepted, epochs->current, last_zxid_, base_zxid_};

  auto host = numeric_host(io_, self->host);
  if (!host.ok()) return host.error();
  auto rng = [this] { return rng_.next_u64(); };

  peer::TransportOptions election_options;
  election_options.frame_bytes_max = peer::kElectionFrameBytesMax;
  election_options.queue_frames_max = kElectionQueueFramesMax;
  election_options.overflow_policy = peer::OverflowPolicy::kDropOldest;
  peer::TransportCallbacks election_callbacks;
  election_callbacks.on_message = [this](int64_t from, std::span<const uint8_t> payload) {
    on_message(from, payload, /*election_port=*/true);
  };
  election_callbacks.on_up = [this](int64_t id) { executor_->on_election_link_up(id); };
  election_ = std::make_unique<peer::PeerTransport>(
      io_, peer::PeerAddress{options_.my_id, *host, self->election_port}, election_options,
      std::move(election_callbacks), rng);

  peer::TransportOptions quorum_options;
  quorum_options.frame_bytes_max = kQuorumFrameBytesMax;
  quorum_options.queue_bytes_max = kQuorumQueueBytesMax;
  quorum_options.overflow_policy = peer::OverflowPolicy::kDisconnect;
  peer::TransportCallbacks quorum_callbacks;
  quorum_callbacks.on_message = [this](int64_t from, std::span<const uint8_t> payload) {
    on_message(from, payload, /*election_port=*/false);
  };
  quorum_callbacks.on_down = [this](int64_t id) { on_quorum_link_down(id); };
  quorum_callbacks.on_up = [this](int64_t id) {
    // A learner's FOLLOWERINFO sent before this link was up was dropped: it goes again now.
    peer_->quorum_link_up(id);
    executor_->drain();
  };
  quorum_ = std::make_unique<peer::PeerTransport>(
      io_, peer::PeerAddress{options_.my_id, *host, self->quorum_port}, quorum_options,
      std::move(quorum_callbacks), rng);

  for (peer::PeerTransport* t : {election_.get(), quorum_.get()}) {
    auto bound = t->listen();
    if (!bound.ok()) return bound.error();
  }

  auto history = build_history(log_, base_zxid_, last_zxid_, options_.history_entries_max);
  if (!history.ok()) return history.error();
  peer_ = std::make_unique<zab::Peer>(options_.my_id, *verifier_, peer_options(options_), rng_,
                                      durable, std::move(history.value()));
  executor_ = std::make_unique<ReadyExecutor>(*peer_, *verifier_, *election_, *quorum_, log_,
                                              state_machine_);

  log::info("zab: member ", options_.my_id, (self->observer ? " (observer)" : ""), " of ",
            options_.members.size(), ": acceptedEpoch ", durable.accepted_epoch, ", currentEpoch ",
            durable.current_epoch, ", last zxid 0x", std::hex, durable.last_zxid, std::dec,
            "; election port ", self->election_port, ", quorum port ", self->quorum_port);
  election_->start(addresses(options_, /*election_port=*/true));
  quorum_->start(addresses(options_, /*election_port=*/false));
  peer_->start();
  executor_->drain();
  schedule_tick();
  return Status::success();
}

void QuorumPeerDriver::stop() {
  if (stopped_) return;
  stopped_ = true;
  tick_timer_.cancel();
  if (election_) election_->stop();
  if (quorum_) quorum_->stop();
}

void QuorumPeerDriver::on_message(zab::ServerId from, std::span<const uint8_t> payload,
                                  bool election_port) {
  const std::string_view bytes(reinterpret_cast<const char*>(payload.data()), payload.size());
  Result<zab::PeerMessage> message = zab::decode_peer_message(bytes);
  const char* port = election_port ? "election" : "quorum";
  if (!message.ok()) {
    log::warn("zab: undecodable message from ", from, " on the ", port,
              " port: ", message.error().to_string());
    return;
  }
  // Each port carries one kind: a notification is never a quorum packet's answer.
  if (std::holds_alternative<zab::Notification>(*message) != election_port) {
    log::warn("zab: message of the wrong kind from ", from, " on the ", port, " port");
    return;
  }
  peer_->step(from, *message);
  executor_->drain();
}

void QuorumPeerDriver::on_quorum_link_down(zab::ServerId id) {
  const bool learner = executor_->held_role() == zab::PeerState::kFollowing ||
                       executor_->held_role() == zab::PeerState::kObserving;
  if (!learner || id != executor_->held_leader()) return;
  log::info("zab: the quorum link to leader ", id, " dropped");
  peer_->return_to_election();
  executor_->drain();
}

void QuorumPeerDriver::schedule_tick() {
  tick_timer_.expires_after(std::chrono::milliseconds(core_tick_ms(options_)));
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    on_tick();
    schedule_tick();
  });
}

void QuorumPeerDriver::on_tick() {
  executor_->retry_failed_writes();
  peer_->tick();
  executor_->drain();
}

void QuorumPeerDriver::log_durable(Zxid zxid) {
  if (!peer_ || stopped_) return;
  peer_->log_durable(zxid);
  executor_->drain();
}

void QuorumPeerDriver::log_write_failed() {
  if (!peer_ || stopped_) return;
  peer_->log_write_failed();
  executor_->drain();
}

void QuorumPeerDriver::snapshot_persisted(Zxid zxid) {
  if (peer_) peer_->snapshot_persisted(zxid);
}

Result<Zxid> QuorumPeerDriver::propose(std::string txn) {
  if (!peer_ || stopped_) return Error(ErrorCode::kConnectionLoss, "not started");
  Result<Zxid> z = peer_->propose(std::move(txn));
  executor_->drain();
  return z;
}

Status QuorumPeerDriver::forward(std::string request) {
  if (!peer_ || stopped_) return Error(ErrorCode::kConnectionLoss, "not started");
  Status s = peer_->forward(std::move(request));
  executor_->drain();
  return s;
}

Status QuorumPeerDriver::request_sync() {
  if (!peer_ || stopped_) return Error(ErrorCode::kConnectionLoss, "not started");
  Status s = peer_->request_sync();
  executor_->drain();
  return s;
}

void QuorumPeerDriver::set_ping_data(std::string data) {
  if (peer_) peer_->set_ping_data(std::move(data));
}

bool QuorumPeerDriver::serving() const {
  return peer_ && peer_->serving();
}

std::string_view QuorumPeerDriver::mode() const {
  return serving() ? mode_of(peer_->role()) : "";
}

std::string QuorumPeerDriver::state_text() const {
  std::ostringstream out;
  auto kv = [&](std::string_view key, const auto& value) { out << key << "\t" << value << "\n"; };
  kv("server_id", options_.my_id);
  if (!peer_) {
    kv("phase", "STARTING");
    return out.str();
  }
  const zab::DurableState& d = peer_->durable();
  kv("phase", zab::to_string(peer_->phase()));
  kv("role", zab::to_string(peer_->role()));
  kv("leader", peer_->leader());
  kv("election_round", peer_->election().logical_clock());
  kv("epoch", peer_->epoch());
  kv("accepted_epoch", d.accepted_epoch);
  kv("current_epoch", d.current_epoch);
  kv("last_zxid", hex(d.last_zxid));
  kv("base_zxid", hex(d.base_zxid));
  return out.str();
}

}  // namespace conclave::ensemble
