#include "server/client_connection.h"

#include "common/log.h"
#include "server/four_letter_words.h"
#include "server/zk_server.h"

namespace conclave::server {

ClientConnection::ClientConnection(ZkServer& server, tcp::socket socket, uint64_t id,
                                   int32_t max_packet_bytes)
    : server_(server),
      socket_(std::move(socket)),
      id_(id),
      read_buf_(kReadChunkBytes),
      decoder_(max_packet_bytes) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_ip_ = ep.address().to_string();
    remote_endpoint_ = remote_ip_ + ":" + std::to_string(ep.port());
  }
  socket_.set_option(tcp::no_delay(true), ec);
}

void ClientConnection::start() {
  read_more();
}

void ClientConnection::read_more() {
  if (reading_ || closing_ || closed_) return;
  if (pending_output_bytes_ > kPendingOutputBytesMax) {
    read_paused_ = true;
    return;
  }
  if (handshake_done && server_.throttled()) {
    // Too many requests in flight server-wide (globalOutstandingLimit): read no more until
    // the log catches up; the server calls resume_reading().
    server_.note_throttled(*this);
    return;
  }
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buf_),
                          [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                            self->reading_ = false;
                            if (ec) {
                              if (ec != asio::error::operation_aborted) self->close();
                              return;
                            }
                            self->on_read(n);
                          });
}

void ClientConnection::on_read(size_t bytes) {
  if (closed_ || closing_) return;
  std::string_view data(read_buf_.data(), bytes);
  if (!first_checked_) {
    // A four-letter word arrives where the first packet's length would be.
    first_bytes_.append(data);
    if (first_bytes_.size() < wire::kFrameLengthBytes) {
      read_more();
      return;
    }
    first_checked_ = true;
    if (check_four_letter_word()) return;
    decoder_.append(first_bytes_);
    first_bytes_.clear();
  } else {
    decoder_.append(data);
  }
  process_frames();
  read_more();
}

bool ClientConnection::check_four_letter_word() {
  std::string word = first_bytes_.substr(0, 4);
  if (!is_four_letter_word(word)) return false;
  std::string answer = server_.on_four_letter_word(*this, word);
  closing_ = true;
  ready_.push_back(std::move(answer));
  write_more();
  return true;
}

void ClientConnection::process_frames() {
  while (!closing_ && !closed_) {
    // The output bound holds per packet, not per read: one read can carry thousands of small
    // requests, each asking for a large reply.
    if (pending_output_bytes_ > kPendingOutputBytesMax) {
      read_paused_ = true;
      return;
    }
    auto next = decoder_.next();
    if (!next.ok()) {
      log::warn("closing ", remote_endpoint_, ": ", next.error().to_string());
      close();
      return;
    }
    if (!next->has_value()) return;
    ++packets_received;
    server_.on_packet(*this, **next);
  }
}

void ClientConnection::send(wire::Bytes frame, Zxid required_zxid) {
  if (closed_) return;
  pending_output_bytes_ += frame.size();
  if (waiting_.empty() && required_zxid <= server_.durable_zxid()) {
    ready_.push_back(std::move(frame));
    write_more();
    return;
  }
  waiting_.push_back(Waiting{std::move(frame), required_zxid});
  server_.note_waiting_output(*this);
}

void ClientConnection::release(Zxid durable_zxid) {
  bool moved = false;
  while (!waiting_.empty() && waiting_.front().required_zxid <= durable_zxid) {
    ready_.push_back(std::move(waiting_.front().frame));
    waiting_.pop_front();
    moved = true;
  }
  if (moved) write_more();
}

void ClientConnection::write_more() {
  if (write_in_flight_ || closed_) return;
  if (ready_.empty()) {
    maybe_finish_close();
    return;
  }
  writing_.swap(ready_);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(writing_.size());
  for (const auto& b : writing_)
    buffers.push_back(asio::buffer(b));
  write_in_flight_ = true;
  asio::async_write(
      socket_, buffers, [self = shared_from_this()](boost::system::error_code ec, size_t) {
        self->write_in_flight_ = false;
        size_t sent = 0;
        for (const auto& b : self->writing_)
          sent += b.size();
        self->packets_sent += self->writing_.size();
        self->pending_output_bytes_ -= std::min(sent, self->pending_output_bytes_);
        self->writing_.clear();
        if (ec) {
          self->close();
          return;
        }
        self->write_more();
        if (self->read_paused_ && self->pending_output_bytes_ <= kPendingOutputBytesMax / 2) {
          self->read_paused_ = false;
          self->process_frames();
          self->read_more();
        }
      });
}

void ClientConnection::resume_reading() {
  if (!read_paused_) read_more();
}

void ClientConnection::close_after_flush() {
  closing_ = true;
  maybe_finish_close();
}

void ClientConnection::maybe_finish_close() {
  if (closing_ && !closed_ && waiting_.empty() && ready_.empty() && !write_in_flight_) close();
}

void ClientConnection::close() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  waiting_.clear();
  ready_.clear();
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_.on_closed(*this);
}

}  // namespace conclave::server
