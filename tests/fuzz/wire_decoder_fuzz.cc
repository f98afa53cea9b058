// libFuzzer target for everything the server decodes from untrusted bytes: the connect
// request, request bodies (every opcode, multi included) and the frame splitter, plus the
// client-side decoders of multi and connect responses.
//
// The first input byte picks the decoder; the rest is its input. Besides "never crash, never
// leak, never read out of bounds" (ASan/UBSan), each decoder is checked for a round trip:
// whatever decodes must re-encode to the same number of bytes it consumed and decode again to
// an equal value. Bytes are not compared, because several encodings mean the same value (a
// null string and an empty one, any non-zero boolean, the type of the closing multi header).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "wire/packet.h"
#include "wire/records.h"

namespace conclave::wire {
namespace {

enum Mode : uint8_t {
  kConnectRequest = 0,
  kRequest = 1,
  kFrames = 2,
  kMultiResponse = 3,
  kConnectResponse = 4,
  kModeCount = 5,
};

// The chunk sizes a stream is cut into for the FrameDecoder, as a socket would deliver it.
constexpr size_t kMaxChunkBytes = 64;
// Small frame limits make the "length too large" path as common as the normal one.
constexpr int32_t kSmallMaxBodyBytes = 32;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "wire fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

void fuzz_connect_request(std::string_view in) {
  auto c = decode_connect_request(in);
  if (!c.ok()) {
    check(c.code() == ErrorCode::kMarshallingError, "connect error code");
    return;
  }
  const Bytes again = encode_connect_request(*c).substr(kFrameLengthBytes);
  check(again.size() == in.size(), "connect re-encodes to the same size");
  auto back = decode_connect_request(again);
  check(back.ok() && *back == *c, "connect round trip");
}

void fuzz_connect_response(std::string_view in) {
  auto c = decode_connect_response(in);
  if (!c.ok()) return;
  const Bytes again = encode_connect_response(*c).substr(kFrameLengthBytes);
  check(again.size() == in.size(), "connect response re-encodes to the same size");
  auto back = decode_connect_response(again);
  check(back.ok() && *back == *c, "connect response round trip");
}

void fuzz_request(std::string_view in) {
  auto d = decode_request(in);
  if (!d.ok()) {
    const ErrorCode code = d.code();
    check(code == ErrorCode::kMarshallingError || code == ErrorCode::kUnimplemented,
          "request error code");
    // An unknown opcode must still leave the xid readable, so the server can answer it.
    if (code == ErrorCode::kUnimplemented) check(decode_request_header(in).ok(), "xid readable");
    return;
  }
  check(is_client_opcode(d->header.type), "decoded opcode is a client opcode");
  check(d->trailing_bytes <= in.size(), "trailing bytes within the body");
  const Bytes again = encode_request(d->header, d->body).substr(kFrameLengthBytes);
  check(again.size() == in.size() - d->trailing_bytes, "request re-encodes to the same size");
  auto back = decode_request(again);
  check(back.ok(), "re-encoded request decodes");
  check(back->header.xid == d->header.xid && back->header.type == d->header.type,
        "request header round trip");
  check(back->body == d->body, "request body round trip");
  check(back->trailing_bytes == 0, "re-encoded request has no trailing bytes");
}

void fuzz_multi_response(std::string_view in) {
  JuteReader r(in);
  MultiResponse m;
  decode(r, m);
  if (!r.ok()) return;
  JuteWriter w;
  encode(w, m);
  // createTTL/createContainer never come out of the decoder, so sizes are preserved.
  check(w.size() == in.size() - r.remaining(), "multi response re-encodes to the same size");
  JuteReader r2(w.bytes());
  MultiResponse back;
  decode(r2, back);
  check(r2.ok() && r2.at_end() && back == m, "multi response round trip");
}

// The stream is cut into chunks whose sizes come from the input itself; the decoder must hand
// out exactly what next_frame() finds walking the whole buffer.
void fuzz_frames(std::string_view in) {
  if (in.size() < 2) return;
  const int32_t max_body = (in[0] & 1) ? kSmallMaxBodyBytes : kDefaultMaxBuffer;
  const size_t chunk = 1 + static_cast<uint8_t>(in[1]) % kMaxChunkBytes;
  const std::string_view stream = in.substr(2);

  std::vector<Bytes> expected;
  bool expect_error = false;
  for (std::string_view rest = stream;;) {
    auto f = next_frame(rest, max_body);
    if (!f.ok()) {
      expect_error = true;
      break;
    }
    if (!f->has_value()) break;
    check((*f)->frame_bytes <= rest.size(), "frame within the buffer");
    expected.emplace_back((*f)->body);
    rest.remove_prefix((*f)->frame_bytes);
  }

  FrameDecoder d(max_body);
  std::vector<Bytes> got;
  bool got_error = false;
  for (size_t at = 0; at < stream.size() && !got_error; at += chunk) {
    d.append(stream.substr(at, chunk));
    for (;;) {
      auto next = d.next();
      if (!next.ok()) {
        got_error = true;
        break;
      }
      if (!next->has_value()) break;
      got.push_back(std::move(**next));
    }
  }
  check(got == expected, "decoder yields the frames next_frame finds");
  check(got_error == expect_error, "decoder fails exactly when the stream is bad");
  // What a server does next with each body.
  for (const auto& body : got)
    (void)decode_request(body);
}

}  // namespace
}  // namespace conclave::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace conclave::wire;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % kModeCount) {
    case kConnectRequest:
      fuzz_connect_request(in);
      break;
    case kRequest:
      fuzz_request(in);
      break;
    case kFrames:
      fuzz_frames(in);
      break;
    case kMultiResponse:
      fuzz_multi_response(in);
      break;
    case kConnectResponse:
      fuzz_connect_response(in);
      break;
  }
  return 0;
}
