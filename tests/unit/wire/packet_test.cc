#include "wire/packet.h"

#include <gtest/gtest.h>

#include "tests/unit/wire/wire_samples.h"

namespace conclave::wire {
namespace {

Bytes be32(int32_t v) {
  JuteWriter w;
  w.write_int(v);
  return w.take();
}

// ---- Framing ----

TEST(FrameTest, CompleteFrameAndPartialFrame) {
  const Bytes f = frame("hello");
  EXPECT_EQ(f, be32(5) + "hello");
  const Bytes buffered = f + "next";  // the Frame views into it, so it must outlive `whole`
  auto whole = next_frame(buffered);
  ASSERT_TRUE(whole.ok());
  ASSERT_TRUE(whole->has_value());
  EXPECT_EQ((*whole)->body, "hello");
  EXPECT_EQ((*whole)->frame_bytes, 9u);
  for (size_t n = 0; n < f.size(); ++n) {
    auto part = next_frame(std::string_view(f).substr(0, n));
    ASSERT_TRUE(part.ok()) << n;
    EXPECT_FALSE(part->has_value()) << n;
  }
}

TEST(FrameTest, EmptyBodyIsAFrame) {
  const Bytes empty = be32(0);
  auto f = next_frame(empty);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->body, "");
}

TEST(FrameTest, ForgedLengthsAreErrorsNotAllocations) {
  for (int32_t len : {-1, -2147483647 - 1, kDefaultMaxBuffer + 1, 0x7fffffff}) {
    auto f = next_frame(be32(len));
    ASSERT_FALSE(f.ok()) << len;
    EXPECT_EQ(f.code(), ErrorCode::kMarshallingError);
  }
  // Exactly the maximum is allowed (it only waits for more bytes).
  auto at_max = next_frame(be32(kDefaultMaxBuffer));
  ASSERT_TRUE(at_max.ok());
  EXPECT_FALSE(at_max->has_value());
  // A smaller configured maximum is honoured.
  EXPECT_FALSE(next_frame(be32(100), 99).ok());
}

TEST(FrameTest, FourLetterWordIsNotALength) {
  EXPECT_EQ(peek_frame_length("ruok"), 0x72756f6b);
  EXPECT_FALSE(peek_frame_length("ruo").has_value());
  EXPECT_FALSE(next_frame("ruok").ok());
}

TEST(FrameTest, DecoderSplitsAStreamFedByteByByte) {
  const Bytes stream = frame("one") + frame("") + frame(std::string(1000, 'x'));
  FrameDecoder d;
  std::vector<Bytes> bodies;
  for (char c : stream) {
    d.append(std::string_view(&c, 1));
    for (;;) {
      auto next = d.next();
      ASSERT_TRUE(next.ok());
      if (!next->has_value()) break;
      bodies.push_back(**next);
    }
  }
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0], "one");
  EXPECT_EQ(bodies[1], "");
  EXPECT_EQ(bodies[2], std::string(1000, 'x'));
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

TEST(FrameTest, DecoderLatchesABadLength) {
  FrameDecoder d(64);
  d.append(frame("ok") + be32(65) + "junk");
  auto first = d.next();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(**first, "ok");
  EXPECT_FALSE(d.next().ok());
  d.append(frame("later"));
  EXPECT_FALSE(d.next().ok());
  EXPECT_TRUE(d.failed());
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

// ---- Connect ----

TEST(ConnectTest, AcceptsBothFormsAndBothPasswdSizes) {
  for (const auto& c : samples::connect_requests()) {
    const Bytes body = samples::connect_body(c);
    const size_t expected = kConnectRequestFixedBytes + c.passwd.size() + (c.has_read_only ? 1 : 0);
    EXPECT_EQ(body.size(), expected);
    auto back = decode_connect_request(body);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_TRUE(*back == c);
  }
  // The sizes the handshake is known by: 44 and 45 bytes with a 16-byte passwd.
  EXPECT_EQ(samples::connect_body(samples::connect_requests()[2]).size(), 44u);
  EXPECT_EQ(samples::connect_body(samples::connect_requests()[1]).size(), 45u);
}

TEST(ConnectTest, RejectsMoreThanOneTrailingByte) {
  const Bytes body = samples::connect_body(samples::connect_requests()[1]);
  auto r = decode_connect_request(body + "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kMarshallingError);
}

TEST(ConnectTest, EveryTruncationIsAnErrorExceptTheOldForm) {
  const ConnectRequest c = samples::connect_requests()[1];  // 45-byte form
  const Bytes body = samples::connect_body(c);
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = decode_connect_request(std::string_view(body).substr(0, n));
    if (n == body.size() - kConnectReadOnlyBytes) {
      // Dropping the readOnly byte leaves a valid old-client request.
      ASSERT_TRUE(r.ok());
      EXPECT_FALSE(r->has_read_only);
    } else {
      EXPECT_FALSE(r.ok()) << n;
    }
  }
}

TEST(ConnectTest, ForgedPasswdLengthFails) {
  JuteWriter w;
  w.write_int(0);
  w.write_long(0);
  w.write_int(30000);
  w.write_long(0);
  w.write_int(0x7ffffff0);  // passwd length far beyond the body
  EXPECT_FALSE(decode_connect_request(w.bytes()).ok());
}

TEST(ConnectTest, ResponseFormsRoundTrip) {
  for (bool has_ro : {false, true}) {
    const ConnectResponse resp{0, 4000, 0x77, std::string(16, 's'), has_ro, has_ro};
    const Bytes framed = encode_connect_response(resp);
    EXPECT_EQ(framed.size(), kFrameLengthBytes + (has_ro ? 37u : 36u));
    auto back = decode_connect_response(std::string_view(framed).substr(kFrameLengthBytes));
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(*back == resp);
  }
}

// ---- Requests ----

TEST(RequestTest, EveryClientOpcodeRoundTrips) {
  for (const auto& s : samples::requests()) {
    SCOPED_TRACE(opcode_name(static_cast<OpCode>(s.header.type)));
    const Bytes body = samples::request_body(s);
    auto d = decode_request(body);
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    EXPECT_EQ(d->header.xid, s.header.xid);
    EXPECT_EQ(d->header.type, s.header.type);
    EXPECT_TRUE(d->body == s.body);
    EXPECT_EQ(d->trailing_bytes, 0u);
  }
}

TEST(RequestTest, EveryProperPrefixIsAnErrorNeverACrash) {
  for (const auto& s : samples::requests()) {
    SCOPED_TRACE(opcode_name(static_cast<OpCode>(s.header.type)));
    const Bytes body = samples::request_body(s);
    for (size_t n = 0; n < body.size(); ++n) {
      auto d = decode_request(std::string_view(body).substr(0, n));
      ASSERT_FALSE(d.ok()) << "prefix " << n << " of " << body.size();
      EXPECT_EQ(d.code(), ErrorCode::kMarshallingError);
    }
  }
}

TEST(RequestTest, TrailingBytesAreIgnoredAndCounted) {
  const auto s = samples::requests()[3];  // getData
  auto d = decode_request(samples::request_body(s) + "xyz");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->body == s.body);
  EXPECT_EQ(d->trailing_bytes, 3u);
}

TEST(RequestTest, UnknownOpcodeIsUnimplementedAndTheXidIsRecoverable) {
  for (int32_t type : {10, 23, 99, 108, 0, -10, -1, 1000000}) {
    JuteWriter w;
    encode(w, RequestHeader{42, type});
    w.write_string("/whatever");
    auto d = decode_request(w.bytes());
    ASSERT_FALSE(d.ok()) << type;
    EXPECT_EQ(d.code(), ErrorCode::kUnimplemented);
    EXPECT_FALSE(is_client_opcode(type));
    auto h = decode_request_header(w.bytes());
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->xid, 42);
    EXPECT_EQ(h->type, type);
  }
  EXPECT_FALSE(decode_request_header("short").ok());
}

TEST(RequestTest, MultiRefusesOpsItsOpcodeDoesNotAllow) {
  // A getData inside a multi (14) and a create inside a multiRead (22).
  MultiRequest read_in_write;
  read_in_write.ops.push_back({OpCode::kGetData, GetDataRequest{"/a", false}});
  auto d1 = decode_request(samples::request_body({RequestHeader{1, 14}, read_in_write}));
  ASSERT_FALSE(d1.ok());
  EXPECT_EQ(d1.code(), ErrorCode::kMarshallingError);

  MultiRequest write_in_read;
  write_in_read.ops.push_back({OpCode::kCreate, CreateRequest{"/a", "", open_acl_unsafe(), 0}});
  auto d2 = decode_request(samples::request_body({RequestHeader{1, 22}, write_in_read}));
  ASSERT_FALSE(d2.ok());

  // A type no multi may hold (exists, 3), written by hand since our encoder refuses it.
  JuteWriter w;
  encode(w, RequestHeader{1, 14});
  encode(w, MultiHeader{3, false, -1});
  encode(w, ExistsRequest{"/a", false});
  encode(w, MultiHeader{-1, true, -1});
  EXPECT_FALSE(decode_request(w.bytes()).ok());

  // An empty multi is fine (ZooKeeper answers it with an empty result list).
  JuteWriter e;
  encode(e, RequestHeader{2, 14});
  encode(e, MultiHeader{-1, true, -1});
  auto empty = decode_request(e.bytes());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(std::get<MultiRequest>(empty->body).ops.empty());
}

TEST(RequestTest, MultiWithoutTerminatorOrWithHugeCountsFails) {
  JuteWriter w;
  encode(w, RequestHeader{1, 14});
  encode(w, MultiHeader{2, false, -1});
  encode(w, DeleteRequest{"/a", -1});
  EXPECT_FALSE(decode_request(w.bytes()).ok());  // no done header

  JuteWriter v;
  encode(v, RequestHeader{1, 14});
  encode(v, MultiHeader{1, false, -1});
  v.write_string("/a");
  v.write_buffer("");
  v.write_int(0x7fffffff);  // ACL count
  EXPECT_FALSE(decode_request(v.bytes()).ok());
}

TEST(RequestTest, ForgedVectorCountInSetWatchesFails) {
  JuteWriter w;
  encode(w, RequestHeader{xid::kSetWatches, to_int(OpCode::kSetWatches2)});
  w.write_long(0);
  w.write_int(0x40000000);  // a billion data watches in a few bytes
  w.write_string("/a");
  EXPECT_FALSE(decode_request(w.bytes()).ok());
}

// ---- Replies ----

TEST(ReplyTest, HeaderOnlyAndWithBody) {
  const Bytes bare = encode_reply(ReplyHeader{5, 0x100000001, to_int(ErrorCode::kNoNode)});
  EXPECT_EQ(bare.size(), kFrameLengthBytes + 16);
  auto f = next_frame(bare);
  ASSERT_TRUE(f.ok() && f->has_value());
  JuteReader r((*f)->body);
  ReplyHeader h;
  decode(r, h);
  EXPECT_EQ(h.xid, 5);
  EXPECT_EQ(h.zxid, 0x100000001);
  EXPECT_EQ(h.err, -101);
  EXPECT_TRUE(r.at_end());

  const Bytes full = encode_reply(ReplyHeader{6, 9, 0}, GetDataResponse{"abc", samples::stat()});
  auto g = next_frame(full);
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->frame_bytes, full.size());
  JuteReader rr((*g)->body);
  decode(rr, h);
  GetDataResponse body;
  decode(rr, body);
  EXPECT_TRUE(rr.ok() && rr.at_end());
  EXPECT_EQ(body.data, "abc");
  EXPECT_TRUE(body.stat == samples::stat());
}

TEST(ReplyTest, NotificationCarriesXidMinusOne) {
  const Bytes n = encode_notification(0x300000004, WatcherEvent{4, 3, "/p"});
  JuteReader r(std::string_view(n).substr(kFrameLengthBytes));
  ReplyHeader h;
  WatcherEvent e;
  decode(r, h);
  decode(r, e);
  EXPECT_TRUE(r.ok() && r.at_end());
  EXPECT_EQ(h.xid, -1);
  EXPECT_EQ(h.zxid, 0x300000004);
  EXPECT_EQ(h.err, 0);
  EXPECT_TRUE(e == (WatcherEvent{4, 3, "/p"}));
}

}  // namespace
}  // namespace conclave::wire
