// The engine behind a Client handle: one Asio I/O thread that owns the socket, the session,
// the queues of requests and the watch table, plus the callback thread that runs application
// code. Internal to client/; the public face is client.h.
//
// Threading contract:
//  - submit(), submit_error(), close(), wait_connected() and the getters may be called from
//    any thread. Everything else runs on the I/O thread, which owns all mutable state below
//    the "I/O thread only" line.
//  - Replies, events and session changes are turned into closures queued on the callback
//    thread, in the order the server sent them, so a watch event is always run before the
//    completion of a later reply. The one exception is a call whose future was made on the
//    callback thread itself: it is completed straight from the I/O thread, because a
//    callback blocking on it would otherwise wait for itself.
//  - Each request completes exactly once: with its reply, or with ConnectionLoss,
//    OperationTimeout, SessionExpired, AuthFailed or ThrottledOp.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "client/callback_queue.h"
#include "client/connect_string.h"
#include "client/options.h"
#include "client/paths.h"
#include "client/types.h"
#include "client/watch_registry.h"
#include "common/asio.h"
#include "common/result.h"
#include "common/zxid.h"
#include "wire/packet.h"

namespace conclave::client {

// A reply as it came off the wire: its header and the record bytes after it.
struct Reply {
  wire::ReplyHeader header;
  std::string_view body;  // valid only during the handler call
};

// Runs once on the I/O thread with the reply or the error that ended the request.
using ReplyHandler = std::function<void(Result<Reply>)>;

// What to do with the watch table when the reply arrives (before the completion runs).
struct WatchIntent {
  enum class On { kNone, kExists, kGetData, kGetChildren, kAddWatch, kRemoveWatches };
  On on = On::kNone;
  std::string client_path;
  Watcher watcher;
  WatchRegistry::Kind add_watch_kind = WatchRegistry::Kind::kPersistent;  // kAddWatch
  WatcherType remove_type = WatcherType::kAny;                            // kRemoveWatches
};

struct Call {
  wire::OpCode op = wire::OpCode::kError;
  Bytes frame;  // the whole request frame; its xid is written when it is sent
  Deadline deadline = kDefaultDeadline;
  int64_t deadline_at_ms = 0;  // set by submit(): the clock starts when the call is made
  WatchIntent watch;
  ReplyHandler handler;
};

class SessionCore {
 public:
  SessionCore(ConnectString cs, ClientOptions options);
  ~SessionCore();  // close()s
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;

  void submit(Call call);
  // Completes `handler` with `error` without sending anything (a call refused client-side).
  void submit_error(ReplyHandler handler, Error error);
  // Sends closeSession, waits up to close_timeout_ms for the answer, fails whatever is
  // still pending with ConnectionLoss, delivers kClosed and joins both threads. Idempotent.
  void close();

  // Runs `fn` on the callback thread, or here when `inline_delivery` (see the threading
  // contract) or when the callback thread has already stopped.
  void deliver(bool inline_delivery, std::function<void()> fn);
  bool on_callback_thread() const { return callbacks_.on_callback_thread(); }

  Status wait_connected(std::chrono::milliseconds timeout);
  SessionState state() const { return state_.load(); }
  SessionId session_id() const { return session_id_.load(); }
  std::string session_password() const;
  int32_t negotiated_timeout_ms() const { return negotiated_timeout_ms_.load(); }
  Zxid last_zxid_seen() const { return last_zxid_seen_.load(); }
  const Chroot& chroot() const { return chroot_; }

 private:
  struct Pending {
    Call call;
    int64_t deadline_ms = 0;
    int32_t xid = 0;
    bool abandoned = false;  // timed out after it was sent; its reply is dropped
  };
  enum class Phase { kBackoff, kConnecting, kHandshaking, kConnected, kDead, kClosed };

  static int64_t now_ms();

  // ---- I/O thread only ----
  void on_submit(Call call);
  void start_connect();
  int64_t attempt_timeout_ms() const;
  void on_connected_socket();
  void start_read();
  void on_frame(std::string_view body);
  void on_handshake(std::string_view body);
  void on_notification(const wire::ReplyHeader& h, wire::JuteReader& r);
  void on_auth_reply(const wire::ReplyHeader& h);
  void on_reply(const wire::ReplyHeader& h, std::string_view body);
  void apply_watch_intent(const WatchIntent& w, int32_t err);
  void prime_connection();
  void flush_unsent();
  void send_raw(Bytes frame);
  void start_write();
  void drop_connection();
  void connection_lost(std::string_view why);
  void enter_terminal(Phase phase, SessionState state, ErrorCode code, std::string why);
  void begin_close();
  void finish_close();
  void fail_all(const Error& error);
  void complete(Pending& p, Result<Reply> r);
  void set_state(SessionState s);
  void on_timer();
  void arm_timer();
  void arm_timer_at(int64_t due_ms);

  const ClientOptions options_;
  const Chroot chroot_;
  HostList hosts_;
  CallbackQueue callbacks_;

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  asio::ip::tcp::socket socket_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::thread io_thread_;

  // Submissions stop (and fail at once) when the handle closes, so nothing is posted to an
  // I/O thread that has finished.
  std::mutex accept_mu_;
  bool accepting_ = true;
  std::mutex close_mu_;  // serializes close() callers
  bool closed_ = false;
  std::promise<void> close_done_;

  mutable std::mutex state_mu_;
  std::condition_variable state_cv_;
  std::atomic<SessionState> state_{SessionState::kConnecting};
  std::atomic<SessionId> session_id_{0};
  std::string session_password_;  // guarded by state_mu_
  std::atomic<int32_t> negotiated_timeout_ms_{0};
  std::atomic<Zxid> last_zxid_seen_{0};

  // ---- I/O thread only ----
  Phase phase_ = Phase::kBackoff;
  bool closing_ = false;
  uint64_t generation_ = 0;  // bumps on every new connection; stale handlers check it
  wire::FrameDecoder decoder_{limits::kMaxReplyBytes};
  std::array<char, limits::kReadChunkBytes> read_buf_{};
  std::deque<Pending> unsent_;           // waiting for a connection, in submission order
  std::deque<Pending> sent_;             // written, awaiting replies, in xid order
  std::deque<Pending> auth_sent_;        // add_auth calls written, awaiting xid -4 replies
  int resent_auths_outstanding_ = 0;     // replies owed to auths re-sent on reconnect
  std::vector<wire::AuthPacket> auths_;  // every auth sent, re-sent on each reconnect
  WatchRegistry watches_;
  Bytes out_pending_;  // frames waiting for the write in flight to finish
  bool writing_ = false;
  int32_t next_xid_ = limits::kFirstXid;
  int64_t attempt_deadline_ms_ = 0;
  int64_t backoff_until_ms_ = 0;
  int64_t backoff_ms_ = 0;
  int64_t last_send_ms_ = 0;
  int64_t last_recv_ms_ = 0;  // last time a connected server was heard from
  int64_t timer_due_ms_ = INT64_MAX;
  bool session_established_ = false;
};

}  // namespace conclave::client
