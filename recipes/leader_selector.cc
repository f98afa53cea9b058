#include "recipes/leader_selector.h"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>

#include "common/log.h"

namespace conclave::recipes {

// One turn as leader: the stop signal the function polls, shared with every copy of its
// LeadershipContext.
struct LeadershipContext::Turn {
  const std::string participant_id;
  const uint64_t number;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  bool stop = false;

  Turn(std::string id, uint64_t n) : participant_id(std::move(id)), number(n) {}

  void signal() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mu);
    return stop;
  }
};

bool LeadershipContext::should_stop() const {
  return turn_->stopped();
}

bool LeadershipContext::wait_for_stop(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(turn_->mu);
  return turn_->cv.wait_for(lock, timeout, [&] { return turn_->stop; });
}

const std::string& LeadershipContext::participant_id() const {
  return turn_->participant_id;
}

uint64_t LeadershipContext::turn() const {
  return turn_->number;
}

// Shared with the session listener and the latches' listeners, which may outlive the selector.
struct LeaderSelector::Core {
  mutable std::mutex mu;
  std::condition_variable cv;
  LatchState state = LatchState::kLatent;
  bool closing = false;
  bool session_over = false;
  bool want_queue = false;  // the selector's thread is to join the queue with a new latch
  bool queued = false;      // a latch of this selector is in the election (or leading)
  // Which latch the latch listeners report for: a closed latch's late reports are ignored.
  uint64_t latch_generation = 0;
  bool gained = false;  // the current latch leads and no turn took that up yet
  std::shared_ptr<LeadershipContext::Turn> turn;  // the running turn
  bool leading = false;  // a turn runs and was not told to stop: what has_leadership() says
  uint64_t turns = 0;
  std::map<ListenerId, std::shared_ptr<const Listener>> listeners;
  ListenerId next_listener = 1;

  // Delivery of `leading` to the listeners: serialised, and only of changes from what was
  // last delivered, so gains and losses alternate whichever thread decides them. Recursive: a
  // listener may ask the selector (has_leadership, participants) on the same thread.
  std::recursive_mutex deliver_mu;
  bool delivered = false;

  void stop_turn_locked() {
    if (turn) turn->signal();
    leading = false;
  }

  void deliver() {
    std::lock_guard dl(deliver_mu);
    bool now = false;
    std::vector<std::shared_ptr<const Listener>> snapshot;
    {
      std::lock_guard lock(mu);
      now = leading;
      if (now != delivered) {
        for (const auto& [id, l] : listeners)
          snapshot.push_back(l);
      }
    }
    if (now == delivered) return;
    delivered = now;
    for (const auto& l : snapshot)
      (*l)(now);
  }

  void on_session(SessionState s) {
    {
      std::lock_guard lock(mu);
      // As the latch: only a read-write connection to the quorum keeps a leader leading.
      if (s != SessionState::kConnected) stop_turn_locked();
      if (client::is_terminal(s)) {
        session_over = true;
        if (state == LatchState::kStarted) state = LatchState::kLost;
      }
    }
    cv.notify_all();
    deliver();
  }

  void on_latch(uint64_t generation, bool leader) {
    {
      std::lock_guard lock(mu);
      if (generation != latch_generation) return;
      if (leader) {
        gained = true;
      } else {
        gained = false;
        stop_turn_locked();  // connection lost or our node deleted
      }
    }
    cv.notify_all();
    if (!leader) deliver();
  }
};

LeaderSelector::LeaderSelector(Connection& conn, std::string path, std::string participant_id,
                               LeaderFunction leader_function, LeaderSelectorOptions options)
    : conn_(conn),
      path_(std::move(path)),
      id_(std::move(participant_id)),
      fn_(std::move(leader_function)),
      options_(options),
      core_(std::make_shared<Core>()) {
  std::weak_ptr<Core> weak = core_;
  session_listener_ = conn_.add_listener([weak](SessionState s) {
    if (auto core = weak.lock()) core->on_session(s);
  });
  std::lock_guard lock(core_->mu);
  core_->session_over = client::is_terminal(conn_.state());
}

LeaderSelector::~LeaderSelector() {
  (void)close();
  conn_.remove_listener(session_listener_);
}

Status LeaderSelector::start() {
  {
    std::lock_guard lock(core_->mu);
    if (core_->state != LatchState::kLatent) {
      return Error(ErrorCode::kApiError, "the selector was started already");
    }
    if (core_->session_over) return Error(ErrorCode::kSessionExpired, "the session is over");
    core_->state = LatchState::kStarted;
    core_->want_queue = true;
  }
  worker_ = std::thread([this] { run(); });
  return Status::success();
}

Result<bool> LeaderSelector::requeue() {
  {
    std::lock_guard lock(core_->mu);
    if (core_->state != LatchState::kStarted) {
      return Error(
          core_->state == LatchState::kLost ? ErrorCode::kSessionExpired : ErrorCode::kApiError,
          std::string("the selector is ") + std::string(latch_state_name(core_->state)));
    }
    if (core_->queued || core_->want_queue) return false;
    core_->want_queue = true;
  }
  core_->cv.notify_all();
  return true;
}

void LeaderSelector::interrupt_leadership() {
  {
    std::lock_guard lock(core_->mu);
    core_->stop_turn_locked();
  }
  core_->deliver();
}

Status LeaderSelector::close() {
  if (worker_.joinable() && std::this_thread::get_id() == worker_.get_id()) {
    return Error(ErrorCode::kApiError, "close() called from the leader function or a listener");
  }
  {
    std::lock_guard lock(core_->mu);
    core_->closing = true;
    core_->stop_turn_locked();
    if (core_->state == LatchState::kStarted || core_->state == LatchState::kLatent) {
      core_->state = LatchState::kClosed;
    }
  }
  core_->cv.notify_all();
  core_->deliver();  // reported now; the node goes once the function returned (in run())
  if (worker_.joinable()) worker_.join();
  return Status::success();
}

bool LeaderSelector::has_leadership() const {
  std::lock_guard lock(core_->mu);
  return core_->leading;
}

LatchState LeaderSelector::state() const {
  std::lock_guard lock(core_->mu);
  return core_->state;
}

LeaderSelector::ListenerId LeaderSelector::add_listener(Listener listener) {
  std::lock_guard lock(core_->mu);
  const ListenerId id = core_->next_listener++;
  core_->listeners.emplace(id, std::make_shared<const Listener>(std::move(listener)));
  return id;
}

void LeaderSelector::remove_listener(ListenerId id) {
  std::lock_guard lock(core_->mu);
  core_->listeners.erase(id);
}

Result<std::vector<Participant>> LeaderSelector::participants() const {
  return election_participants(conn_, path_);
}

Result<Participant> LeaderSelector::leader() const {
  return election_leader(conn_, path_);
}

// The selector's thread: queues a latch, runs the function for each turn the latch wins, and
// closes the latch (deleting its node) when the turn is over.
void LeaderSelector::run() {
  std::unique_ptr<LeaderLatch> latch;
  for (;;) {
    bool join = false;
    uint64_t generation = 0;
    std::shared_ptr<LeadershipContext::Turn> turn;
    {
      std::unique_lock lock(core_->mu);
      core_->cv.wait(lock, [&] {
        return core_->closing || core_->session_over || (latch && core_->gained) ||
               (!latch && core_->want_queue);
      });
      if (core_->closing || core_->session_over) break;
      if (!latch) {
        core_->want_queue = false;
        core_->queued = true;
        core_->gained = false;
        generation = ++core_->latch_generation;
        join = true;
      } else {
        core_->gained = false;
        turn = std::make_shared<LeadershipContext::Turn>(id_, ++core_->turns);
        core_->turn = turn;
        core_->leading = true;
      }
    }
    if (join) {
      latch = std::make_unique<LeaderLatch>(conn_, path_, id_);
      std::weak_ptr<Core> weak = core_;
      latch->add_listener([weak, generation](bool leader) {
        if (auto core = weak.lock()) core->on_latch(generation, leader);
      });
      if (Status st = latch->start(); !st.ok()) {
        log::warn("leader selector ", path_, ": cannot join: ", st.error().to_string());
        std::lock_guard lock(core_->mu);
        core_->queued = false;
        if (core_->state == LatchState::kStarted) core_->state = LatchState::kLost;
        core_->session_over = true;  // a latch refuses to start only on a dead session
        break;
      }
      continue;
    }
    core_->deliver();  // the gain, unless the turn was stopped already
    if (!turn->stopped()) {
      LeadershipContext ctx(turn);
      try {  // application code: whatever it throws ends the turn, not the process
        fn_(ctx);
      } catch (const std::exception& e) {
        log::error("leader selector ", path_, ": the leader function threw: ", e.what());
      } catch (...) {
        log::error("leader selector ", path_, ": the leader function threw");
      }
    }
    {
      std::lock_guard lock(core_->mu);
      core_->turn.reset();
      core_->leading = false;
      core_->gained = false;
      core_->queued = false;
      ++core_->latch_generation;  // the closing latch's own loss report is not a new one
      if (options_.auto_requeue && !core_->closing && !core_->session_over) {
        core_->want_queue = true;
      }
    }
    turn->signal();    // copies of the context kept elsewhere see the turn is over
    core_->deliver();  // the loss, before the node goes and a successor can gain
    (void)latch->close();
    latch.reset();
  }
  {
    std::lock_guard lock(core_->mu);
    core_->leading = false;
    core_->queued = false;
    ++core_->latch_generation;
  }
  core_->deliver();
  if (latch) (void)latch->close();
}

}  // namespace conclave::recipes
