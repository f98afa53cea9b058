// Three QuorumPeerDrivers over real loopback sockets in one io_context (as three servers' event
// loops would be), each with an in-memory log: they elect one leader, sync (an empty DIFF: same
// history everywhere) and serve, elect another when it goes away, take it back as a follower,
// and hold discovery while an epoch write fails. Waits are conditions with deadlines, never
// sleeps.
#include "server/ensemble/quorum_peer_driver.h"

#include <chrono>
#include <map>
#include <memory>

#include <gtest/gtest.h>

#include "storage/memory_txn_log.h"

namespace conclave::ensemble {
namespace {

using namespace std::chrono_literals;
using zab::PeerState;

constexpr auto kWaitMax = 30s;
constexpr int64_t kTickMs = 20;

uint16_t unused_port(asio::io_context& io) {
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

class Trio : public ::testing::Test {
 protected:
  void SetUp() override {
    for (zab::ServerId id = 1; id <= 3; ++id) {
      options_.members.push_back({id, "127.0.0.1", unused_port(io_), unused_port(io_), false});
      logs_[id] = std::make_unique<storage::MemoryTxnLog>();
    }
    options_.tick_time_ms = kTickMs;
    options_.init_limit_ticks = 5;
    options_.sync_limit_ticks = 3;
  }

  QuorumPeerDriver& start(zab::ServerId id) {
    DriverOptions o = options_;
    o.my_id = id;
    drivers_[id] = std::make_unique<QuorumPeerDriver>(io_, o, *logs_[id], 0, 0);
    Status s = drivers_[id]->start();
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return *drivers_[id];
  }

  // Runs the loop until `done()` or the deadline; returns whether `done()` held.
  template <class F>
  bool run_until(F done, std::chrono::steady_clock::duration max = kWaitMax) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(5ms);
    }
    return true;
  }

  // Every running member serves with the same leader, which leads; returns it (0 if not yet).
  zab::ServerId agreed_leader() {
    zab::ServerId leader = 0;
    for (auto& [id, d] : drivers_) {
      if (!d) continue;
      if (!d->serving()) return 0;
      if (leader == 0) leader = d->peer()->leader();
      if (d->peer()->leader() != leader) return 0;
    }
    auto it = drivers_.find(leader);
    if (it == drivers_.end() || !it->second || it->second->peer()->role() != PeerState::kLeading)
      return 0;
    return leader;
  }

  int64_t accepted_epoch_on_disk(zab::ServerId id) { return **logs_[id]->accepted_epoch(); }
  int64_t current_epoch_on_disk(zab::ServerId id) { return **logs_[id]->current_epoch(); }

  asio::io_context io_;
  DriverOptions options_;
  std::map<zab::ServerId, std::unique_ptr<storage::MemoryTxnLog>> logs_;
  std::map<zab::ServerId, std::unique_ptr<QuorumPeerDriver>> drivers_;
};

TEST_F(Trio, ElectsFailsOverAndTakesTheOldLeaderBack) {
  for (zab::ServerId id = 1; id <= 3; ++id)
    start(id);
  ASSERT_TRUE(run_until([&] { return agreed_leader() != 0; }));
  const zab::ServerId first = agreed_leader();
  const int64_t first_epoch = drivers_[first]->peer()->epoch();
  EXPECT_EQ(first, 3);  // equal histories: the highest id wins
  EXPECT_EQ(drivers_[first]->mode(), "leader");
  // Discovery wrote acceptedEpoch and sync wrote currentEpoch, on every member.
  for (zab::ServerId id = 1; id <= 3; ++id) {
    EXPECT_EQ(accepted_epoch_on_disk(id), first_epoch) << "member " << id;
    EXPECT_EQ(current_epoch_on_disk(id), first_epoch) << "member " << id;
  }

  drivers_[first].reset();  // its links close, as when the process dies
  ASSERT_TRUE(run_until([&] { return agreed_leader() != 0; }));
  const zab::ServerId second = agreed_leader();
  EXPECT_NE(second, first);
  EXPECT_GT(drivers_[second]->peer()->epoch(), first_epoch);

  // Restarted from what its disk kept, it joins the established leader as a follower.
  QuorumPeerDriver& back = start(first);
  EXPECT_EQ(back.peer()->durable().accepted_epoch, first_epoch);
  EXPECT_EQ(back.peer()->durable().current_epoch, first_epoch);
  ASSERT_TRUE(run_until([&] { return agreed_leader() == second && back.serving(); }));
  EXPECT_EQ(back.mode(), "follower");
  EXPECT_EQ(back.peer()->epoch(), drivers_[second]->peer()->epoch());
  EXPECT_EQ(current_epoch_on_disk(first), drivers_[second]->peer()->epoch());
}

TEST_F(Trio, AFailedEpochWriteHoldsDiscoveryUntilARetrySucceeds) {
  for (zab::ServerId id = 1; id <= 3; ++id) {
    ASSERT_TRUE(logs_[id]->set_accepted_epoch(0).ok());
    ASSERT_TRUE(logs_[id]->set_current_epoch(0).ok());
  }
  logs_[3]->fail_writes(true);  // the member every vote prefers cannot write its epoch
  for (zab::ServerId id = 1; id <= 3; ++id)
    start(id);
  // Through several initLimit rounds nobody serves: LEADERINFO waits for the write.
  EXPECT_FALSE(run_until([&] { return agreed_leader() != 0; },
                         std::chrono::milliseconds(4 * options_.init_limit_ticks * kTickMs)));
  EXPECT_EQ(accepted_epoch_on_disk(3), 0);
  logs_[3]->fail_writes(false);
  ASSERT_TRUE(run_until([&] { return agreed_leader() != 0; }));
  // Member 3 usually leads (every vote prefers it), but a loaded machine can let 1 and 2 elect
  // one of themselves in a later round first; either way the leader's epoch is on its disk.
  const zab::ServerId leader = agreed_leader();
  EXPECT_EQ(accepted_epoch_on_disk(leader), drivers_[leader]->peer()->epoch());
}

TEST_F(Trio, StateTextNamesThePhaseRoleAndEpochs) {
  for (zab::ServerId id = 1; id <= 3; ++id)
    start(id);
  ASSERT_TRUE(run_until([&] { return agreed_leader() != 0; }));
  const std::string text = drivers_[3]->state_text();
  EXPECT_NE(text.find("server_id\t3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("role\tLEADING\n"), std::string::npos) << text;
  EXPECT_NE(text.find("leader\t3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("accepted_epoch\t" + std::to_string(drivers_[3]->peer()->epoch()) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("phase\tBROADCAST\n"), std::string::npos) << text;
  EXPECT_NE(text.find("last_zxid\t0x0\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace conclave::ensemble
