#include "wire/records.h"

#include <gtest/gtest.h>

#include "tests/unit/wire/wire_samples.h"

namespace conclave::wire {
namespace {

template <class T>
Bytes bytes_of(const T& v) {
  JuteWriter w;
  encode(w, v);
  return w.take();
}

// Encodes, decodes back, and checks every proper prefix fails to decode.
template <class T>
void expect_round_trip(const T& v) {
  SCOPED_TRACE(typeid(T).name());
  const Bytes b = bytes_of(v);
  JuteReader r(b);
  T back{};
  decode(r, back);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(back == v);
  for (size_t n = 0; n < b.size(); ++n) {
    JuteReader p(std::string_view(b).substr(0, n));
    T partial{};
    decode(p, partial);
    EXPECT_FALSE(p.ok()) << "prefix " << n << " of " << b.size();
  }
}

TEST(RecordsTest, ResponsesRoundTrip) {
  const Stat st = samples::stat();
  expect_round_trip(ReplyHeader{3, 0x100000001, -101});
  expect_round_trip(WatcherEvent{2, 3, "/gone"});
  expect_round_trip(CreateResponse{"/a0000000001"});
  expect_round_trip(Create2Response{"/a", st});
  expect_round_trip(ExistsResponse{st});
  expect_round_trip(GetDataResponse{std::string("\0\1\2", 3), st});
  expect_round_trip(SetDataResponse{st});
  expect_round_trip(GetAclResponse{open_acl_unsafe(), st});
  expect_round_trip(SetAclResponse{st});
  expect_round_trip(GetChildrenResponse{{"a", "b", "c"}});
  expect_round_trip(GetChildren2Response{{"a"}, st});
  expect_round_trip(SyncResponse{"/s"});
  expect_round_trip(GetEphemeralsResponse{{"/e1"}});
  expect_round_trip(GetAllChildrenNumberResponse{7});
  expect_round_trip(WhoAmIResponse{{ClientInfo{"ip", "10.0.0.1"}}});
  expect_round_trip(ErrorResponse{-110});
  expect_round_trip(SetSaslResponse{"tok"});
  expect_round_trip(MultiHeader{15, false, 0});
}

TEST(RecordsTest, RequestsRoundTrip) {
  expect_round_trip(RequestHeader{9, 4});
  for (const auto& s : samples::requests()) {
    std::visit(
        [](const auto& rec) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(rec)>, NoBody>) {
            expect_round_trip(rec);
          }
        },
        s.body);
  }
}

TEST(RecordsTest, NullStringsAndBuffersReadAsEmpty) {
  // The Java client sends a null data buffer as length -1 (create with data == null).
  JuteWriter w;
  w.write_string("/n");
  w.write_null();
  encode(w, open_acl_unsafe());
  w.write_int(0);
  JuteReader r(w.bytes());
  CreateRequest c;
  decode(r, c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(c.data, "");
}

TEST(RecordsTest, ConnectRequestReadOnlyByteIsOptional) {
  ConnectRequest c{0, 5, 3000, 0, std::string(16, 'k'), true, true};
  Bytes with = bytes_of(c);
  EXPECT_EQ(with.size(), 45u);
  c.has_read_only = false;
  c.read_only = false;
  Bytes without = bytes_of(c);
  EXPECT_EQ(without.size(), 44u);
  JuteReader r(without);
  ConnectRequest back;
  decode(r, back);
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(back.has_read_only);
}

TEST(RecordsTest, MultiResponseCreateVariantsGoOutAsCreate2) {
  const Stat st = samples::stat();
  MultiResponse ttl, container, create2;
  ttl.results.push_back({OpCode::kCreateTtl, 0, "/t", st, {}, {}});
  container.results.push_back({OpCode::kCreateContainer, 0, "/t", st, {}, {}});
  create2.results.push_back({OpCode::kCreate2, 0, "/t", st, {}, {}});
  EXPECT_EQ(bytes_of(ttl), bytes_of(create2));
  EXPECT_EQ(bytes_of(container), bytes_of(create2));
}

TEST(RecordsTest, MultiResponseErrorHeaderCarriesTheCode) {
  MultiResponse m;
  m.results.push_back({OpCode::kError, 0, {}, {}, {}, {}});     // rolled-back earlier op
  m.results.push_back({OpCode::kError, -103, {}, {}, {}, {}});  // the op that failed
  m.results.push_back({OpCode::kError, -2, {}, {}, {}, {}});    // later ops
  const Bytes b = bytes_of(m);
  JuteReader r(b);
  for (int32_t code : {0, -103, -2}) {
    MultiHeader h;
    decode(r, h);
    EXPECT_EQ(h.type, -1);
    EXPECT_FALSE(h.done);
    EXPECT_EQ(h.err, code);
    ErrorResponse e;
    decode(r, e);
    EXPECT_EQ(e.err, code);
  }
  MultiHeader done;
  decode(r, done);
  EXPECT_TRUE(done.done);
  EXPECT_EQ(done.type, -1);
  EXPECT_EQ(done.err, -1);
  EXPECT_TRUE(r.ok() && r.at_end());
  expect_round_trip(m);
}

TEST(RecordsTest, MultiResponseRoundTripsEveryResultKind) {
  const Stat st = samples::stat();
  MultiResponse m;
  m.results.push_back({OpCode::kCreate, 0, "/a", {}, {}, {}});
  m.results.push_back({OpCode::kCreate2, 0, "/b", st, {}, {}});
  m.results.push_back({OpCode::kDelete, 0, {}, {}, {}, {}});
  m.results.push_back({OpCode::kSetData, 0, {}, st, {}, {}});
  m.results.push_back({OpCode::kCheck, 0, {}, {}, {}, {}});
  m.results.push_back({OpCode::kGetData, 0, {}, st, "d", {}});
  m.results.push_back({OpCode::kGetChildren, 0, {}, {}, {}, {"x"}});
  m.results.push_back({OpCode::kError, -101, {}, {}, {}, {}});
  expect_round_trip(m);
  expect_round_trip(MultiResponse{});
}

TEST(RecordsTest, MultiResponseWithUnknownResultTypeFails) {
  JuteWriter w;
  encode(w, MultiHeader{3, false, 0});  // exists is never a multi result
  encode(w, MultiHeader{-1, true, -1});
  JuteReader r(w.bytes());
  MultiResponse m;
  decode(r, m);
  EXPECT_FALSE(r.ok());
}

TEST(RecordsTest, MultiKindRules) {
  MultiRequest mixed;
  mixed.ops.push_back({OpCode::kDelete, DeleteRequest{"/a", -1}});
  mixed.ops.push_back({OpCode::kGetData, GetDataRequest{"/a", false}});
  const Bytes b = bytes_of(mixed);
  for (MultiKind kind : {MultiKind::kAny, MultiKind::kWrite, MultiKind::kRead}) {
    JuteReader r(b);
    MultiRequest out;
    decode_multi(r, out, kind);
    EXPECT_FALSE(r.ok());
  }
  EXPECT_TRUE(is_multi_write_op(OpCode::kCreateTtl));
  EXPECT_TRUE(is_multi_read_op(OpCode::kGetChildren));
  EXPECT_FALSE(is_multi_read_op(OpCode::kGetChildren2));
  EXPECT_FALSE(is_multi_write_op(OpCode::kSetAcl));
}

TEST(RecordsTest, ForgedCountsFailWithoutAllocating) {
  JuteWriter w;
  w.write_int(0x7fffffff);  // children count
  JuteReader r(w.bytes());
  GetChildrenResponse g;
  decode(r, g);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(g.children.empty());

  JuteWriter who;
  who.write_int(1 << 30);
  JuteReader rw(who.bytes());
  WhoAmIResponse wr;
  decode(rw, wr);
  EXPECT_FALSE(rw.ok());
}

}  // namespace
}  // namespace conclave::wire
