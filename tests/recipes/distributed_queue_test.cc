// recipes::DistributedQueue against a real server (Conclave or Apache ZooKeeper, same
// expectations): FIFO by sequence number, take() blocking until an offer from another session,
// timeouts, exactly-once delivery between many producers and consumers, the item size bound,
// and items that survive a kill -9 of the server.
#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "recipes/distributed_queue.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

using DistributedQueueTest = RecipeTest;

// The queue's size; an error fails the test (and answers a size no test expects).
size_t size_of(DistributedQueue& q) {
  auto n = q.size();
  EXPECT_TRUE(n.ok()) << n.error().to_string();
  return n.ok() ? *n : SIZE_MAX;
}

std::string item_data(int producer, int index) {
  return "p" + std::to_string(producer) + "-" + std::to_string(index);
}

TEST_F(DistributedQueueTest, FifoAndPollOnEmpty) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  const std::string qp = path("/queue");
  DistributedQueue q(*conn, qp);
  auto empty = q.poll();  // no queue node yet
  ASSERT_TRUE(empty.ok()) << empty.error().to_string();
  EXPECT_FALSE(empty->has_value());
  EXPECT_EQ(size_of(q), 0u);
  auto no_head = q.peek();
  ASSERT_TRUE(no_head.ok()) << no_head.error().to_string();
  EXPECT_FALSE(no_head->has_value());

  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    auto name = q.offer(item_data(0, i));
    ASSERT_TRUE(name.ok()) << name.error().to_string();
    EXPECT_TRUE(name->starts_with("qn-")) << *name;
    names.push_back(*name);
  }
  EXPECT_EQ(size_of(q), 5u);
  auto head = q.peek();
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->name, names[0]);
  EXPECT_EQ((*head)->data, item_data(0, 0));
  EXPECT_EQ(size_of(q), 5u);  // peek leaves it there
  for (int i = 0; i < 5; ++i) {
    auto item = q.poll();
    ASSERT_TRUE(item.ok() && item->has_value()) << i;
    EXPECT_EQ((*item)->name, names[i]);
    EXPECT_EQ((*item)->data, item_data(0, i));
  }
  auto after = q.poll();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
  EXPECT_EQ(size_of(q), 0u);
  // Only this consumer's receipt is left among the queue's children.
  EXPECT_TRUE(contenders(*sync_, qp, "qn-").empty());
}

// Items are ordered by their sequence number, not by name: "b-qn-0000000000" was created
// before "a-qn-0000000001" and is taken first though it sorts after it as a string.
TEST_F(DistributedQueueTest, OrderIsBySequenceNumberNotName) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  const std::string qp = path("/queue");
  ASSERT_TRUE(sync_->create(qp).ok());
  const client::CreateOptions seq{.mode = client::CreateMode::kPersistentSequential};
  auto first = sync_->create(qp + "/b-qn-", "first", seq);
  auto second = sync_->create(qp + "/a-qn-", "second", seq);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_GT(first->path, second->path);  // as strings, the later one sorts first
  DistributedQueue q(*conn, qp);
  auto offered = q.offer("third");
  ASSERT_TRUE(offered.ok());
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    auto item = q.poll();
    ASSERT_TRUE(item.ok() && item->has_value());
    got.push_back((*item)->data);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"first", "second", "third"}));
}

TEST_F(DistributedQueueTest, TakeTimesOutOnEmpty) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  DistributedQueue q(*conn, path("/queue"));
  const auto start = std::chrono::steady_clock::now();
  auto r = q.take(300ms);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(r->has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
}

TEST_F(DistributedQueueTest, TakeWaitsForAnOfferFromAnotherSession) {
  auto consumer = open_connection();
  auto producer = open_connection();
  ASSERT_TRUE(consumer && producer);
  const std::string qp = path("/queue");
  ASSERT_TRUE(sync_->create(qp).ok());
  Recorder& rec = recorder();
  std::thread taker([&] {
    DistributedQueue q(*consumer, qp);
    auto item = q.take(kWait);
    rec.mark(item.ok() && item->has_value() ? "took " + (*item)->data : "took nothing");
  });
  // The consumer is blocked on its watch of the queue's children (the server holds it).
  EXPECT_TRUE(wait_child_watch(*consumer, qp));
  EXPECT_TRUE(rec.lines().empty());
  rec.mark("offering");
  DistributedQueue q(*producer, qp);
  EXPECT_TRUE(q.offer("job").ok());  // (EXPECT: the taker is joined either way)
  taker.join();
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"offering", "took job"}));
}

TEST_F(DistributedQueueTest, TakeWaitsForTheQueueToBeCreated) {
  auto consumer = open_connection();
  auto producer = open_connection();
  ASSERT_TRUE(consumer && producer);
  const std::string qp = path("/not/yet");
  Recorder& rec = recorder();
  std::thread taker([&] {
    DistributedQueue q(*consumer, qp);
    auto item = q.take(kWait);
    rec.mark(item.ok() && item->has_value() ? "took " + (*item)->data : "took nothing");
  });
  // No queue node: the consumer watches for its creation instead.
  EXPECT_TRUE(wait_data_watch(*consumer, qp));
  DistributedQueue q(*producer, qp);
  EXPECT_TRUE(q.offer("job").ok());
  taker.join();
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"took job"}));
}

TEST_F(DistributedQueueTest, ASessionThatEndsWhileTakingIsAnError) {
  auto consumer = open_connection();
  ASSERT_TRUE(consumer);
  const std::string qp = path("/queue");
  ASSERT_TRUE(sync_->create(qp).ok());
  Recorder& rec = recorder();
  std::thread taker([&] {
    DistributedQueue q(*consumer, qp);
    auto item = q.take(kWait);
    rec.mark(item.ok() ? "answered" : "error " + std::string(error_name(item.code())));
  });
  EXPECT_TRUE(wait_child_watch(*consumer, qp));
  consumer->close();
  taker.join();
  EXPECT_EQ(rec.lines(), std::vector<std::string>{"error SESSIONEXPIRED"});
}

// Every item offered by several producers reaches exactly one of several competing consumers
// (each thread with its own session): none lost, none twice, and each consumer sees each
// producer's items in the order they were offered.
TEST_F(DistributedQueueTest, ManyProducersAndConsumersDeliverEachItemOnce) {
  constexpr int kProducers = 3;
  constexpr int kConsumers = 3;
  constexpr int kItemsEach = 100;
  constexpr int kTotal = kProducers * kItemsEach;
  const std::string qp = path("/queue");
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < kProducers + kConsumers; ++i) {
    conns.push_back(open_connection());
    ASSERT_TRUE(conns.back());
  }
  std::atomic<int> delivered{0};
  std::atomic<int> offer_errors{0};
  std::vector<std::vector<std::string>> received(kConsumers);
  std::vector<std::string> consumer_errors(kConsumers);
  const auto end = std::chrono::steady_clock::now() + 4 * kWait;
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      DistributedQueue q(*conns[kProducers + c], qp);
      while (delivered.load() < kTotal && std::chrono::steady_clock::now() < end) {
        // Short takes, so that a consumer notices when the others got the last items.
        auto item = q.take(200ms);
        if (!item.ok()) {
          consumer_errors[c] = item.error().to_string();
          return;
        }
        if (!item->has_value()) continue;
        received[c].push_back((*item)->data);
        ++delivered;
      }
    });
  }
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      DistributedQueue q(*conns[p], qp);
      for (int i = 0; i < kItemsEach; ++i) {
        if (!q.offer(item_data(p, i)).ok()) ++offer_errors;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(offer_errors.load(), 0);
  for (int c = 0; c < kConsumers; ++c)
    EXPECT_EQ(consumer_errors[c], "") << "consumer " << c;
  std::map<std::string, int> times;
  size_t total = 0;
  for (int c = 0; c < kConsumers; ++c) {
    std::map<int, int> last_index;  // producer -> last index this consumer got
    for (const std::string& d : received[c]) {
      ++times[d];
      ++total;
      const int p = std::stoi(d.substr(1, d.find('-') - 1));
      const int i = std::stoi(d.substr(d.find('-') + 1));
      auto [it, first] = last_index.try_emplace(p, i);
      if (!first) {
        EXPECT_GT(i, it->second) << "consumer " << c << " got " << d << " out of order";
        it->second = i;
      }
    }
  }
  EXPECT_EQ(total, static_cast<size_t>(kTotal));
  EXPECT_EQ(times.size(), static_cast<size_t>(kTotal));  // no item missing
  for (const auto& [d, n] : times)
    EXPECT_EQ(n, 1) << d << " delivered " << n << " times";
  EXPECT_EQ(delivered.load(), kTotal);
  DistributedQueue check(*conns[0], qp);
  EXPECT_EQ(size_of(check), 0u);
  for (int c = 0; c < kConsumers; ++c)
    EXPECT_GT(received[c].size(), 0u) << "consumer " << c << " got nothing";
}

TEST_F(DistributedQueueTest, AnItemOverThePacketLimitIsRefusedTheLargestFits) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  const std::string qp = path("/queue");
  DistributedQueue q(*conn, qp);
  const size_t max = q.max_item_bytes();
  EXPECT_GT(max, 1'040'000u);
  EXPECT_LT(max, 1u << 20);
  auto too_big = q.offer(std::string(max + 1, 'x'));
  EXPECT_EQ(too_big.code(), ErrorCode::kBadArguments);
  EXPECT_EQ(size_of(q), 0u);
  EXPECT_EQ(conn->state(), client::SessionState::kConnected);  // nothing was sent

  std::string largest(max, 'y');
  largest.front() = 'a';
  largest.back() = 'z';
  auto name = q.offer(largest);
  ASSERT_TRUE(name.ok()) << name.error().to_string();
  auto item = q.take(kWait);
  ASSERT_TRUE(item.ok()) << item.error().to_string();
  ASSERT_TRUE(item->has_value());
  EXPECT_EQ((*item)->name, *name);
  EXPECT_TRUE((*item)->data == largest);  // not EXPECT_EQ: a failure would print a megabyte
}

// Offered items are persistent and acknowledged only once the server has them: a kill -9 and a
// restart lose none and keep their order.
TEST_F(DistributedQueueTest, ItemsSurviveAServerKillAndRestart) {
  const std::string qp = path("/queue");
  std::vector<std::string> offered;
  {
    auto producer = open_connection();
    ASSERT_TRUE(producer);
    DistributedQueue q(*producer, qp);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(q.offer(item_data(0, i)).ok());
      offered.push_back(item_data(0, i));
    }
    std::string big(q.max_item_bytes(), 'b');  // the log must replay the largest item too
    ASSERT_TRUE(q.offer(big).ok());
    offered.push_back(big);
    kill_server();
  }
  start_server();
  auto consumer = open_connection();
  ASSERT_TRUE(consumer);
  DistributedQueue q(*consumer, qp);
  EXPECT_EQ(size_of(q), offered.size());
  std::vector<std::string> got;
  for (;;) {
    auto item = q.poll();
    ASSERT_TRUE(item.ok()) << item.error().to_string();
    if (!item->has_value()) break;
    got.push_back((*item)->data);
  }
  EXPECT_TRUE(got == offered) << got.size() << " items back of " << offered.size();
}

// Consumers keep taking while the server is killed and restarted under them: a take whose
// reply was lost is settled by the consumer's receipt, so still no item is lost or doubled.
TEST_F(DistributedQueueTest, ExactlyOnceAcrossAServerRestartWhileTaking) {
  constexpr int kItems = 200;
  constexpr int kConsumers = 2;
  const std::string qp = path("/queue");
  {
    auto producer = open_connection();
    ASSERT_TRUE(producer);
    DistributedQueue q(*producer, qp);
    for (int i = 0; i < kItems; ++i)
      ASSERT_TRUE(q.offer(item_data(0, i)).ok());
  }
  client::ClientOptions o = survives_restart();  // outlasts the restart: the receipts live on
  std::vector<std::unique_ptr<Connection>> conns;
  for (int c = 0; c < kConsumers; ++c) {
    conns.push_back(open_connection(o));
    ASSERT_TRUE(conns.back());
  }
  std::atomic<int> delivered{0};
  std::vector<std::vector<std::string>> received(kConsumers);
  std::vector<std::vector<std::string>> errors(kConsumers);
  const auto end = std::chrono::steady_clock::now() + 4 * kWait;
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      DistributedQueue q(*conns[c], qp);
      while (delivered.load() < kItems && std::chrono::steady_clock::now() < end) {
        auto item = q.take(200ms);
        if (!item.ok()) {
          // The connection is down: a take says so (it is not "empty") and is asked again.
          errors[c].push_back(std::string(error_name(item.code())) + " " + item.error().detail);
          if (item.code() == ErrorCode::kConnectionLoss ||
              item.code() == ErrorCode::kOperationTimeout) {
            continue;
          }
          return;
        }
        if (!item->has_value()) continue;
        received[c].push_back((*item)->data);
        ++delivered;
      }
    });
  }
  // Kill the server a quarter of the way through, so takes are in flight.
  const auto quarter = std::chrono::steady_clock::now() + kWait;
  while (delivered.load() < kItems / 4 && std::chrono::steady_clock::now() < quarter) {
    (void)sync_->exists(qp);  // a round trip: paces this loop without sleeping
  }
  EXPECT_LT(delivered.load(), kItems) << "all taken before the kill: nothing was tested";
  kill_server();
  start_server();
  for (auto& t : threads)
    t.join();
  std::map<std::string, int> times;
  for (int c = 0; c < kConsumers; ++c) {
    for (const std::string& d : received[c])
      ++times[d];
    for (const std::string& e : errors[c])
      EXPECT_TRUE(e.starts_with("CONNECTIONLOSS") || e.starts_with("OPERATIONTIMEOUT")) << e;
  }
  EXPECT_EQ(times.size(), static_cast<size_t>(kItems));
  for (const auto& [d, n] : times)
    EXPECT_EQ(n, 1) << d << " delivered " << n << " times";
  EXPECT_EQ(delivered.load(), kItems);
}

// A take whose multi got no answer (the server frozen with SIGSTOP past the call's deadline)
// is settled by the receipt once the server answers again: the item, deleted by that multi
// after all, is delivered to this consumer, not lost and not delivered twice.
TEST_F(DistributedQueueTest, ATakeWhoseReplyIsLostIsSettledByTheReceipt) {
  constexpr int kItems = 300;
  constexpr int kCyclesMax = 40;  // each freeze lands in one of a take's three calls
  const std::string qp = path("/queue");
  {
    auto producer = open_connection();
    ASSERT_TRUE(producer);
    DistributedQueue q(*producer, qp);
    for (int i = 0; i < kItems; ++i)
      ASSERT_TRUE(q.offer(item_data(0, i)).ok());
  }
  client::ClientOptions o =
      survives_restart();       // the freezes are far shorter: the connection stays
  o.default_deadline_ms = 300;  // a frozen server fails calls (and takes) quickly
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  DistributedQueue q(*conn, qp);
  Recorder& rec = recorder();
  std::atomic<bool> stop{false};
  std::vector<std::string> received;
  std::vector<std::string> errors;
  std::thread consumer([&] {
    while (!stop.load() && received.size() < static_cast<size_t>(kItems)) {
      auto item = q.poll();
      if (!item.ok()) {
        errors.push_back(std::string(error_name(item.code())));
        rec.mark("error");
        if (item.code() == ErrorCode::kConnectionLoss ||
            item.code() == ErrorCode::kOperationTimeout) {
          continue;
        }
        return;
      }
      if (!item->has_value()) break;
      received.push_back((*item)->data);
      rec.mark("item");
    }
  });
  auto& env = client::testing::env();
  int cycles = 0;
  for (; cycles < kCyclesMax && q.takes_confirmed_by_receipt() == 0; ++cycles) {
    const size_t items = rec.count("item"), errs = rec.count("error");
    // Freeze only while takes are going on, and thaw once one has failed for it.
    // (The predicate gets the lines: it runs under the recorder's lock.)
    auto more = [](const std::string& what, size_t before) {
      return [what, before](const std::vector<std::string>& lines) {
        return static_cast<size_t>(std::count(lines.begin(), lines.end(), what)) > before;
      };
    };
    if (!rec.wait(more("item", items))) break;
    // Right after an item the consumer is listing the queue again: a few round trips of our
    // own, a different number each time, move the freeze through its get_data and multi.
    for (int i = 0; i < cycles % 5; ++i)
      (void)sync_->exists(qp);
    if (!env.control("sigstop").ok()) {
      ADD_FAILURE() << "sigstop";
      break;
    }
    const bool failed = rec.wait(more("error", errs));
    if (!env.control("sigcont").ok()) ADD_FAILURE() << "sigcont";
    if (!failed) break;
  }
  stop = true;
  consumer.join();
  for (const std::string& e : errors)
    EXPECT_TRUE(e == "OPERATIONTIMEOUT" || e == "CONNECTIONLOSS") << e;
  // Whatever the consumer got, each once and in order; the rest is still in the queue.
  std::vector<std::string> rest;
  for (;;) {
    auto item = q.poll();
    ASSERT_TRUE(item.ok()) << item.error().to_string();
    if (!item->has_value()) break;
    rest.push_back((*item)->data);
  }
  // (After the rest: the last freeze's take may have been settled by the first poll above.)
  EXPECT_GT(q.takes_confirmed_by_receipt(), 0u)
      << "no take lost its reply in " << cycles << " freezes";
  ASSERT_EQ(received.size() + rest.size(), static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) {
    const std::string& got =
        static_cast<size_t>(i) < received.size() ? received[i] : rest[i - received.size()];
    EXPECT_EQ(got, item_data(0, i));
  }
}

}  // namespace
}  // namespace conclave::recipes::testing
