// One client's TCP connection: it frames the byte stream into packets for the server and
// sends replies and notifications back in the order the server produced them.
//
// Durability gate: the server applies a write to its tree before the write is fsynced, so a
// reply (to the write, or to a read that sees it) must not leave until the log is durable up
// to the zxid the output depends on. Every output carries that `required_zxid`; outputs wait
// in FIFO order and go out when release() reports the durable zxid has reached them. Order is
// never broken, so a session's replies stay in request order and a watch event always
// precedes the reply of a later read that shows the change.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/zxid.h"
#include "server/server_stats.h"
#include "wire/packet.h"

namespace conclave::server {

class ZkServer;

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  using tcp = asio::ip::tcp;

  // Bytes of replies a connection may have queued before the server stops reading its
  // requests (backpressure on a client that does not read its replies).
  static constexpr size_t kPendingOutputBytesMax = size_t{16} << 20;
  static constexpr size_t kReadChunkBytes = 64 * 1024;

  ClientConnection(ZkServer& server, tcp::socket socket, uint64_t id, int32_t max_packet_bytes);

  void start();
  // Queues `frame` to be sent once the log is durable through `required_zxid`.
  void send(wire::Bytes frame, Zxid required_zxid);
  // The log is durable through `durable_zxid`: send what waited for it.
  void release(Zxid durable_zxid);
  // Reads again after the server stopped it for throttling (no-op if reading).
  void resume_reading();
  // Stops reading; closes once every queued output has been written.
  void close_after_flush();
  // Closes now, dropping queued output.
  void close();

  uint64_t id() const { return id_; }
  const std::string& remote_ip() const { return remote_ip_; }
  const std::string& remote_endpoint() const { return remote_endpoint_; }
  bool closed() const { return closed_; }
  bool has_waiting_output() const { return !waiting_.empty(); }

  // Session state the server keeps per connection.
  SessionId session_id = 0;
  int32_t session_timeout_ms = 0;
  bool handshake_done = false;
  std::vector<wire::Id> auth_ids;
  bool is_super = false;

  // Ensemble learner (ZkServer, server/replication.cc): requests sent to the leader and not
  // answered yet, oldest first; the requests held behind them so that the session's requests
  // are answered in the order sent (a read must see the write before it); and a connect whose
  // new session is being created through the leader.
  struct Forwarded {
    int32_t xid = 0;
    wire::OpCode op = wire::OpCode::kError;
    std::string path;  // sync's
  };
  std::deque<Forwarded> forwarded;
  std::deque<std::string> held;
  bool awaiting_session = false;
  bool connect_read_only = false;  // the connect request's readOnly field was present

  // Statistics for `cons` and `stat` (ZooKeeper's names in comments).
  uint64_t packets_received = 0;      // recved
  uint64_t packets_sent = 0;          // sent
  int64_t established_wall_ms = 0;    // est
  std::string last_op = "NA";         // lop
  int32_t last_cxid = 0;              // lcxid
  Zxid last_zxid = 0;                 // lzxid
  int64_t last_response_wall_ms = 0;  // lresp
  int64_t last_latency_ms = 0;        // llat
  LatencyStats latency;               // minlat/avglat/maxlat

 private:
  struct Waiting {
    wire::Bytes frame;
    Zxid required_zxid;
  };

  void read_more();
  void on_read(size_t bytes);
  bool check_four_letter_word();
  void process_frames();
  void write_more();
  void maybe_finish_close();

  ZkServer& server_;
  tcp::socket socket_;
  uint64_t id_;
  std::string remote_ip_;
  std::string remote_endpoint_;

  std::vector<char> read_buf_;
  wire::FrameDecoder decoder_;
  std::string first_bytes_;  // the first 4 bytes, held until we know it is not a 4lw
  bool first_checked_ = false;
  bool reading_ = false;
  bool read_paused_ = false;

  std::deque<Waiting> waiting_;       // not yet durable
  std::vector<wire::Bytes> ready_;    // durable, queued behind the write in flight
  std::vector<wire::Bytes> writing_;  // in the write in flight
  size_t pending_output_bytes_ = 0;
  bool write_in_flight_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace conclave::server
