#include "wire/packet.h"

#include <cassert>
#include <limits>
#include <string>
#include <type_traits>

namespace conclave::wire {

// ---- Framing ----

std::optional<int32_t> peek_frame_length(std::string_view buffer) {
  if (buffer.size() < kFrameLengthBytes) return std::nullopt;
  JuteReader r(buffer.substr(0, kFrameLengthBytes));
  return r.read_int();
}

Result<std::optional<Frame>> next_frame(std::string_view buffer, int32_t max_body_bytes) {
  const std::optional<int32_t> len = peek_frame_length(buffer);
  if (!len) return std::optional<Frame>();
  if (*len < 0 || *len > max_body_bytes) {
    return Error(ErrorCode::kMarshallingError, "packet length " + std::to_string(*len) +
                                                   " outside [0, " +
                                                   std::to_string(max_body_bytes) + "]");
  }
  const size_t total = kFrameLengthBytes + static_cast<size_t>(*len);
  if (buffer.size() < total) return std::optional<Frame>();
  return std::optional<Frame>(
      Frame{buffer.substr(kFrameLengthBytes, static_cast<size_t>(*len)), total});
}

void FrameDecoder::append(std::string_view bytes) {
  if (failure_) return;  // nothing after a bad length can be framed; don't keep it
  // Drop what was handed out before growing, so the buffer holds only unconsumed bytes.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

Result<std::optional<Bytes>> FrameDecoder::next() {
  if (failure_) return *failure_;
  auto f = next_frame(std::string_view(buffer_).substr(consumed_), max_body_bytes_);
  if (!f.ok()) {
    failure_ = f.error();
    buffer_.clear();
    consumed_ = 0;
    return *failure_;
  }
  if (!f->has_value()) return std::optional<Bytes>();
  Bytes body((*f)->body);
  consumed_ += (*f)->frame_bytes;
  return std::optional<Bytes>(std::move(body));
}

Bytes frame(std::string_view body) {
  JuteWriter w;
  const size_t start = begin_frame(w);
  w.write_raw(body);
  end_frame(w, start);
  return w.take();
}

size_t begin_frame(JuteWriter& w) {
  const size_t start = w.size();
  w.write_int(0);  // patched by end_frame once the body's size is known
  return start;
}

void end_frame(JuteWriter& w, size_t frame_start) {
  const size_t body_bytes = w.size() - frame_start - kFrameLengthBytes;
  assert(body_bytes <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  w.patch_int(frame_start, static_cast<int32_t>(body_bytes));
}

// ---- Connect handshake ----

namespace {

template <class T>
Result<T> decode_handshake(std::string_view body, const char* what) {
  JuteReader r(body);
  T v;
  decode(r, v);
  // decode() took the readOnly byte if one was there; anything still left is not a form any
  // client sends.
  if (!r.ok() || !r.at_end()) {
    return Error(ErrorCode::kMarshallingError, std::string(what) + " of " +
                                                   std::to_string(body.size()) +
                                                   " bytes is truncated or has trailing bytes");
  }
  return v;
}

template <class T>
Bytes encode_framed(const T& v) {
  JuteWriter w;
  const size_t start = begin_frame(w);
  encode(w, v);
  end_frame(w, start);
  return w.take();
}

}  // namespace

Result<ConnectRequest> decode_connect_request(std::string_view body) {
  return decode_handshake<ConnectRequest>(body, "connect request");
}

Result<ConnectResponse> decode_connect_response(std::string_view body) {
  return decode_handshake<ConnectResponse>(body, "connect response");
}

Bytes encode_connect_request(const ConnectRequest& v) {
  return encode_framed(v);
}
Bytes encode_connect_response(const ConnectResponse& v) {
  return encode_framed(v);
}

// ---- Requests ----

Result<RequestHeader> decode_request_header(std::string_view body) {
  JuteReader r(body);
  RequestHeader h;
  decode(r, h);
  if (!r.ok()) {
    return Error(ErrorCode::kMarshallingError,
                 "request of " + std::to_string(body.size()) + " bytes has no full header");
  }
  return h;
}

bool is_client_opcode(int32_t type) {
  switch (static_cast<OpCode>(type)) {
    case OpCode::kCreate:
    case OpCode::kDelete:
    case OpCode::kExists:
    case OpCode::kGetData:
    case OpCode::kSetData:
    case OpCode::kGetAcl:
    case OpCode::kSetAcl:
    case OpCode::kGetChildren:
    case OpCode::kSync:
    case OpCode::kPing:
    case OpCode::kGetChildren2:
    case OpCode::kCheck:
    case OpCode::kMulti:
    case OpCode::kCreate2:
    case OpCode::kReconfig:
    case OpCode::kCheckWatches:
    case OpCode::kRemoveWatches:
    case OpCode::kCreateContainer:
    case OpCode::kDeleteContainer:
    case OpCode::kCreateTtl:
    case OpCode::kMultiRead:
    case OpCode::kAuth:
    case OpCode::kSetWatches:
    case OpCode::kSasl:
    case OpCode::kGetEphemerals:
    case OpCode::kGetAllChildrenNumber:
    case OpCode::kSetWatches2:
    case OpCode::kAddWatch:
    case OpCode::kWhoAmI:
    case OpCode::kCloseSession:
      return true;
    // notification, createSession and error are never requests a client sends.
    case OpCode::kNotification:
    case OpCode::kCreateSession:
    case OpCode::kError:
      return false;
  }
  return false;
}

namespace {

template <class T>
RequestBody decode_as(JuteReader& r) {
  T v;
  decode(r, v);
  return v;
}

// Reads the record `type` calls for. Only called for client opcodes.
RequestBody decode_body(JuteReader& r, OpCode type) {
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
      return decode_as<CreateRequest>(r);
    case OpCode::kCreateTtl:
      return decode_as<CreateTtlRequest>(r);
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
      return decode_as<DeleteRequest>(r);
    case OpCode::kExists:
      return decode_as<ExistsRequest>(r);
    case OpCode::kGetData:
      return decode_as<GetDataRequest>(r);
    case OpCode::kSetData:
      return decode_as<SetDataRequest>(r);
    case OpCode::kGetAcl:
      return decode_as<GetAclRequest>(r);
    case OpCode::kSetAcl:
      return decode_as<SetAclRequest>(r);
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2:
      return decode_as<GetChildrenRequest>(r);
    case OpCode::kSync:
      return decode_as<SyncRequest>(r);
    case OpCode::kCheck:
      return decode_as<CheckVersionRequest>(r);
    case OpCode::kMulti:
    case OpCode::kMultiRead: {
      MultiRequest m;
      decode_multi(r, m, type == OpCode::kMulti ? MultiKind::kWrite : MultiKind::kRead);
      return m;
    }
    case OpCode::kReconfig:
      return decode_as<ReconfigRequest>(r);
    case OpCode::kCheckWatches:
      return decode_as<CheckWatchesRequest>(r);
    case OpCode::kRemoveWatches:
      return decode_as<RemoveWatchesRequest>(r);
    case OpCode::kAuth:
      return decode_as<AuthPacket>(r);
    case OpCode::kSetWatches:
      return decode_as<SetWatches>(r);
    case OpCode::kSasl:
      return decode_as<GetSaslRequest>(r);
    case OpCode::kGetEphemerals:
      return decode_as<GetEphemeralsRequest>(r);
    case OpCode::kGetAllChildrenNumber:
      return decode_as<GetAllChildrenNumberRequest>(r);
    case OpCode::kSetWatches2:
      return decode_as<SetWatches2>(r);
    case OpCode::kAddWatch:
      return decode_as<AddWatchRequest>(r);
    case OpCode::kPing:
    case OpCode::kCloseSession:
    case OpCode::kWhoAmI:
      return NoBody{};
    case OpCode::kNotification:
    case OpCode::kCreateSession:
    case OpCode::kError:
      break;
  }
  r.fail();
  return NoBody{};
}

}  // namespace

Result<DecodedRequest> decode_request(std::string_view body) {
  auto header = decode_request_header(body);
  if (!header.ok()) return header.error();
  const RequestHeader h = *header;
  if (!is_client_opcode(h.type)) {
    return Error(ErrorCode::kUnimplemented, "unknown opcode " + std::to_string(h.type) + " (xid " +
                                                std::to_string(h.xid) + ")");
  }
  JuteReader r(body.substr(kRequestHeaderBytes));
  RequestBody rec = decode_body(r, static_cast<OpCode>(h.type));
  if (!r.ok()) {
    return Error(ErrorCode::kMarshallingError,
                 std::string(opcode_name(static_cast<OpCode>(h.type))) + " request (xid " +
                     std::to_string(h.xid) + ") is truncated or malformed");
  }
  return DecodedRequest{h, std::move(rec), r.remaining()};
}

Bytes encode_request(const RequestHeader& h) {
  return encode_framed(h);
}

Bytes encode_request(const RequestHeader& h, const RequestBody& body) {
  JuteWriter w;
  const size_t start = begin_frame(w);
  encode(w, h);
  std::visit(
      [&w](const auto& rec) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(rec)>, NoBody>) encode(w, rec);
      },
      body);
  end_frame(w, start);
  return w.take();
}

// ---- Replies ----

Bytes encode_reply(const ReplyHeader& h) {
  return encode_framed(h);
}

Bytes encode_notification(int64_t zxid, const WatcherEvent& event) {
  return encode_reply(ReplyHeader{xid::kNotification, zxid, 0}, event);
}

}  // namespace conclave::wire
