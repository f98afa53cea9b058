// Whole packets of the client protocol: 4-byte length framing, the connect handshake, a
// request body decoded by its opcode, and complete reply frames.
//
// Framing (NIOServerCnxn.readLength): every packet is a big-endian int32 length followed by
// that many body bytes. A negative length or one above jute.maxbuffer is refused before a
// single byte is allocated for it; the caller then closes the connection, as ZooKeeper does.
//
// Trailing bytes: ZooKeeper deserializes a request record from the packet buffer and never
// checks that the buffer was used up, so a request followed by extra bytes is served.
// decode_request() does the same and reports how many bytes were left over
// (DecodedRequest::trailing_bytes) so the server may log them. The connect request is the
// exception: its only legitimate trailing byte is readOnly, so anything beyond that one
// byte is refused (decode_connect_request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "common/result.h"
#include "wire/jute.h"
#include "wire/opcode.h"
#include "wire/records.h"

namespace conclave::wire {

// The length prefix in front of every packet body.
constexpr size_t kFrameLengthBytes = 4;
// A RequestHeader: int xid, int type.
constexpr size_t kRequestHeaderBytes = 8;
// The readOnly flag some clients append to the connect request.
constexpr size_t kConnectReadOnlyBytes = 1;

// ---- Framing ----

struct Frame {
  std::string_view body;   // points into the buffer given to next_frame()
  size_t frame_bytes = 0;  // kFrameLengthBytes + body.size(): what to drop from the buffer
};

// The first four bytes of `buffer` as a big-endian int, or nullopt when fewer are there.
// The server looks at this before framing the first packet: a four-letter word ("ruok")
// arrives where the length would be.
std::optional<int32_t> peek_frame_length(std::string_view buffer);

// One complete frame at the start of `buffer`, nullopt if more bytes are needed, or
// kMarshallingError if the length is negative or above `max_body_bytes`.
Result<std::optional<Frame>> next_frame(std::string_view buffer,
                                        int32_t max_body_bytes = kDefaultMaxBuffer);

// Splits a byte stream into packet bodies. Bytes are appended as they arrive; next() hands
// out complete bodies in order. The buffer holds at most the unconsumed bytes: one partial
// frame plus whatever the last append() brought, as long as the caller drains next() until
// it returns nullopt after each append. A bad length latches: every later next() returns
// the same error, because the stream can no longer be trusted to be in sync.
class FrameDecoder {
 public:
  explicit FrameDecoder(int32_t max_body_bytes = kDefaultMaxBuffer)
      : max_body_bytes_(max_body_bytes) {}

  void append(std::string_view bytes);
  Result<std::optional<Bytes>> next();

  size_t buffered_bytes() const { return buffer_.size() - consumed_; }
  bool failed() const { return failure_.has_value(); }

 private:
  int32_t max_body_bytes_;
  Bytes buffer_;
  size_t consumed_ = 0;  // bytes at the front of buffer_ already handed out
  std::optional<Error> failure_;
};

// A frame around `body`.
Bytes frame(std::string_view body);
// Reserves the length prefix in `w` and returns where it is; end_frame() fills it in with
// the number of bytes written since. Lets a reply be encoded straight into its frame.
size_t begin_frame(JuteWriter& w);
void end_frame(JuteWriter& w, size_t frame_start);

// A frame holding a header record followed by a body record (requests and replies alike).
template <class Header, class Body>
Bytes encode_framed(const Header& h, const Body& body) {
  JuteWriter w;
  const size_t start = begin_frame(w);
  encode(w, h);
  encode(w, body);
  end_frame(w, start);
  return w.take();
}

// ---- Connect handshake ----

// The first packet body of a connection. Accepts the record followed by nothing (an old
// client, has_read_only = false) or by exactly one readOnly byte; more is kMarshallingError,
// as is a truncated record. The 44/45-byte sizes quoted for the handshake are these two
// forms with the usual 16-byte passwd; a new session sends an empty passwd (28/29 bytes),
// so the form is told by the byte count left after passwd, never by the total size.
Result<ConnectRequest> decode_connect_request(std::string_view body);
// The client side of the same rule for the 36/37-byte response.
Result<ConnectResponse> decode_connect_response(std::string_view body);

Bytes encode_connect_request(const ConnectRequest& v);    // framed
Bytes encode_connect_response(const ConnectResponse& v);  // framed

// ---- Requests ----

// The body of ping (11), closeSession (-11) and whoAmI (107): nothing after the header.
struct NoBody {
  bool operator==(const NoBody&) const = default;
};

// The request record, chosen by opcode:
//   create 1, create2 15, createContainer 19 -> CreateRequest; createTTL 21 -> CreateTtlRequest
//   delete 2, deleteContainer 20 -> DeleteRequest (20 is normally internal; the server decides)
//   exists 3, getData 4, setData 5, getACL 6, setACL 7, sync 9, check 13 -> their records
//   getChildren 8, getChildren2 12 -> GetChildrenRequest
//   multi 14 (writes only), multiRead 22 (reads only) -> MultiRequest
//   reconfig 16, checkWatches 17, removeWatches 18, auth 100, setWatches 101, sasl 102,
//   getEphemerals 103, getAllChildrenNumber 104, setWatches2 105, addWatch 106 -> their records
//   ping 11, closeSession -11, whoAmI 107 -> NoBody
using RequestBody =
    std::variant<NoBody, CreateRequest, CreateTtlRequest, DeleteRequest, ExistsRequest,
                 GetDataRequest, SetDataRequest, GetAclRequest, SetAclRequest, GetChildrenRequest,
                 SyncRequest, CheckVersionRequest, MultiRequest, ReconfigRequest,
                 CheckWatchesRequest, RemoveWatchesRequest, AuthPacket, SetWatches, GetSaslRequest,
                 GetEphemeralsRequest, GetAllChildrenNumberRequest, SetWatches2, AddWatchRequest>;

struct DecodedRequest {
  RequestHeader header;
  RequestBody body;
  size_t trailing_bytes = 0;  // left after the record; ignored, as ZooKeeper ignores them
};

// Just the header of a request body (kMarshallingError if shorter than 8 bytes). When
// decode_request() fails, this still gives the xid to answer: ZooKeeper replies
// UNIMPLEMENTED to an unknown opcode and MARSHALLINGERROR to a record it cannot read.
Result<RequestHeader> decode_request_header(std::string_view body);

// A packet body after the handshake: header plus the record its opcode calls for.
// Errors: kUnimplemented for an opcode no client may send (the detail names the xid and
// opcode), kMarshallingError for a short header, a truncated or malformed record, or a
// multi holding an op its opcode does not allow.
Result<DecodedRequest> decode_request(std::string_view body);

// Whether a client may send `type` as a request; decode_request answers any other opcode
// with kUnimplemented. Exposed so tests and the fuzzer can walk every opcode.
bool is_client_opcode(int32_t type);

// Client side: a full request frame.
Bytes encode_request(const RequestHeader& h);  // header only (ping, closeSession, whoAmI)
Bytes encode_request(const RequestHeader& h, const RequestBody& body);
template <class T>
Bytes encode_request(const RequestHeader& h, const T& body) {
  return encode_framed(h, body);
}

// ---- Replies ----

// A full reply frame: length, ReplyHeader, then the record (none for the header-only form,
// used for errors and for ops whose reply has no body: delete, setWatches, ping, ...).
Bytes encode_reply(const ReplyHeader& h);
template <class T>
Bytes encode_reply(const ReplyHeader& h, const T& body) {
  return encode_framed(h, body);
}

// A watch notification frame: ReplyHeader{xid -1, zxid, err 0} + WatcherEvent. The zxid is
// the event's (3.9 behaviour; 3.8 servers sent -1 and clients ignore it either way).
Bytes encode_notification(int64_t zxid, const WatcherEvent& event);

}  // namespace conclave::wire
