// Golden bytes: our encoders against the official ZooKeeper C client's generated jute code
// (libzookeeper_mt), in both directions. For each record:
//   - the C library and ours serialize the same value to the same bytes;
//   - our decoder reads the C library's bytes back to the same value;
//   - the C library reads our bytes and serializes them again to the same bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include <zookeeper/recordio.h>
#include <zookeeper/zookeeper.jute.h>
}

#include "wire/packet.h"
#include "wire/records.h"

namespace conclave::wire {
namespace {

std::string hex(std::string_view b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// What the C library writes through `fn`.
std::string c_bytes(const std::function<int(::oarchive*)>& fn) {
  ::oarchive* oa = create_buffer_oarchive();
  EXPECT_EQ(fn(oa), 0);
  std::string out(get_buffer(oa), static_cast<size_t>(get_buffer_len(oa)));
  close_buffer_oarchive(&oa, 1);
  return out;
}

template <class T>
std::string our_bytes(const T& v) {
  JuteWriter w;
  encode(w, v);
  return w.take();
}

// C views of our values. The C structs take mutable pointers but serialize only reads them.
// Literals get their own overloads so no temporary std::string is left dangling.
char* cstr(const std::string& s) {
  return const_cast<char*>(s.c_str());
}
char* cstr(const char* s) {
  return const_cast<char*>(s);
}

::buffer cbuf(const std::string& s) {
  return ::buffer{static_cast<int32_t>(s.size()), const_cast<char*>(s.data())};
}
::buffer cbuf(const char* s) {
  return ::buffer{static_cast<int32_t>(std::strlen(s)), const_cast<char*>(s)};
}

// A C String_vector viewing `strings`; `storage` keeps the pointers alive.
::String_vector cvec(const std::vector<std::string>& strings, std::vector<char*>& storage) {
  storage.clear();
  for (const auto& s : strings)
    storage.push_back(cstr(s));
  return ::String_vector{static_cast<int32_t>(storage.size()), storage.data()};
}

::Stat cstat(const Stat& s) {
  return ::Stat{s.czxid,    s.mzxid,           s.ctime,       s.mtime,        s.version, s.cversion,
                s.aversion, s.ephemeral_owner, s.data_length, s.num_children, s.pzxid};
}

struct CAcls {
  std::vector<::ACL> acls;
  ::ACL_vector vec() { return ::ACL_vector{static_cast<int32_t>(acls.size()), acls.data()}; }
};

CAcls cacls(const AclList& list) {
  CAcls out;
  for (const auto& a : list)
    out.acls.push_back(::ACL{a.perms, ::Id{cstr(a.id.scheme), cstr(a.id.id)}});
  return out;
}

Stat sample_stat() {
  return Stat{0x0000000100000002,
              0x0000000100000007,
              1700000000123,
              1700000000456,
              3,
              4,
              5,
              0x1234567890abcdef,
              11,
              2,
              0x0000000100000009};
}

AclList sample_acls() {
  return {Acl{perms::kAll, Id{"world", "anyone"}},
          Acl{perms::kRead | perms::kAdmin, Id{"digest", "bob:fx6e5ZV3aE6yCsyjFRhMlA0pk1o="}}};
}

// Checks one record in both directions. `Ser`/`Deser`/`Dealloc` are the C library's
// functions for the record; `c` is the C value equal to `ours`.
template <auto Ser, auto Deser, auto Dealloc, class C, class Ours>
void expect_golden(C c, const Ours& ours) {
  SCOPED_TRACE(typeid(Ours).name());
  const std::string theirs = c_bytes([&](::oarchive* oa) { return Ser(oa, "r", &c); });
  const std::string mine = our_bytes(ours);
  EXPECT_EQ(hex(mine), hex(theirs));

  JuteReader r(theirs);
  Ours back{};
  decode(r, back);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(back == ours);

  std::string input = mine;  // the C reader takes a mutable pointer
  C parsed{};
  ::iarchive* ia = create_buffer_iarchive(input.data(), static_cast<int>(input.size()));
  EXPECT_EQ(Deser(ia, "r", &parsed), 0);
  close_buffer_iarchive(&ia);
  const std::string again = c_bytes([&](::oarchive* oa) { return Ser(oa, "r", &parsed); });
  EXPECT_EQ(hex(again), hex(mine));
  Dealloc(&parsed);
}

#define GOLDEN(Rec, c, ours) \
  expect_golden<serialize_##Rec, deserialize_##Rec, deallocate_##Rec>(c, ours)

TEST(RecordsGoldenTest, Stat) {
  const Stat s = sample_stat();
  GOLDEN(Stat, cstat(s), s);
}

TEST(RecordsGoldenTest, ConnectRequestWithoutReadOnly) {
  const ConnectRequest v{0,     0x100000005, 30000, 0x0102030405060708, std::string(16, '\x7f'),
                         false, false};
  ::ConnectRequest c{v.protocol_version, v.last_zxid_seen, v.timeout_ms, v.session_id,
                     cbuf(v.passwd)};
  GOLDEN(ConnectRequest, c, v);
  EXPECT_EQ(our_bytes(v).size(), 44u);
}

TEST(RecordsGoldenTest, ConnectRequestWithReadOnlyAsTheCClientSendsIt) {
  // The 3.8 C client serializes ConnectRequest and then appends the readOnly bool by hand.
  ConnectRequest v{0, 42, 10000, 0, std::string(16, '\0'), true, true};
  ::ConnectRequest c{v.protocol_version, v.last_zxid_seen, v.timeout_ms, v.session_id,
                     cbuf(v.passwd)};
  int32_t ro = 1;
  const std::string theirs = c_bytes([&](::oarchive* oa) {
    int rc = serialize_ConnectRequest(oa, "connect", &c);
    return rc != 0 ? rc : oa->serialize_Bool(oa, "readOnly", &ro);
  });
  EXPECT_EQ(hex(our_bytes(v)), hex(theirs));
  EXPECT_EQ(theirs.size(), 45u);
  auto back = decode_connect_request(theirs);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == v);
}

TEST(RecordsGoldenTest, ConnectResponse) {
  const ConnectResponse v{0, 4000, 0x7001, std::string(16, 'p'), false, false};
  ::ConnectResponse c{v.protocol_version, v.timeout_ms, v.session_id, cbuf(v.passwd)};
  GOLDEN(ConnectResponse, c, v);
  EXPECT_EQ(our_bytes(v).size(), 36u);
}

TEST(RecordsGoldenTest, Headers) {
  GOLDEN(RequestHeader, (::RequestHeader{7, 1}), (RequestHeader{7, 1}));
  GOLDEN(RequestHeader, (::RequestHeader{-2, 11}), (RequestHeader{-2, 11}));
  GOLDEN(ReplyHeader, (::ReplyHeader{-1, 0x500000001, 0}), (ReplyHeader{-1, 0x500000001, 0}));
  GOLDEN(ReplyHeader, (::ReplyHeader{9, 77, -101}), (ReplyHeader{9, 77, -101}));
  GOLDEN(MultiHeader, (::MultiHeader{-1, 1, -1}), (MultiHeader{-1, true, -1}));
  GOLDEN(MultiHeader, (::MultiHeader{15, 0, 0}), (MultiHeader{15, false, 0}));
}

TEST(RecordsGoldenTest, CreateRequests) {
  const CreateRequest v{"/app/lock-", std::string("d\0ta", 4), sample_acls(), 3};
  CAcls acls = cacls(v.acl);
  GOLDEN(CreateRequest, (::CreateRequest{cstr(v.path), cbuf(v.data), acls.vec(), v.flags}), v);

  const CreateTtlRequest t{"/ttl", "x", sample_acls(), 5, 60000};
  CAcls tacls = cacls(t.acl);
  GOLDEN(CreateTTLRequest,
         (::CreateTTLRequest{cstr(t.path), cbuf(t.data), tacls.vec(), t.flags, t.ttl}), t);
}

TEST(RecordsGoldenTest, CreateResponses) {
  const CreateResponse c{"/app/lock-0000000007"};
  GOLDEN(CreateResponse, ::CreateResponse{cstr(c.path)}, c);
  const Create2Response c2{"/app/lock-0000000007", sample_stat()};
  GOLDEN(Create2Response, (::Create2Response{cstr(c2.path), cstat(c2.stat)}), c2);
}

TEST(RecordsGoldenTest, DataOps) {
  const GetDataRequest g{"/a/b", true};
  GOLDEN(GetDataRequest, (::GetDataRequest{cstr(g.path), 1}), g);
  const GetDataResponse gr{"hello", sample_stat()};
  GOLDEN(GetDataResponse, (::GetDataResponse{cbuf(gr.data), cstat(gr.stat)}), gr);
  const SetDataRequest s{"/a", std::string(300, 'z'), 12};
  GOLDEN(SetDataRequest, (::SetDataRequest{cstr(s.path), cbuf(s.data), s.version}), s);
  const SetDataResponse sr{sample_stat()};
  GOLDEN(SetDataResponse, ::SetDataResponse{cstat(sr.stat)}, sr);
  const DeleteRequest d{"/a/b", -1};
  GOLDEN(DeleteRequest, (::DeleteRequest{cstr(d.path), d.version}), d);
  const ExistsRequest e{"/missing", false};
  GOLDEN(ExistsRequest, (::ExistsRequest{cstr(e.path), 0}), e);
  const ExistsResponse er{sample_stat()};
  GOLDEN(ExistsResponse, ::ExistsResponse{cstat(er.stat)}, er);
  const CheckVersionRequest cv{"/c", 4};
  GOLDEN(CheckVersionRequest, (::CheckVersionRequest{cstr(cv.path), cv.version}), cv);
  const SyncRequest sy{"/"};
  GOLDEN(SyncRequest, ::SyncRequest{cstr(sy.path)}, sy);
  const SyncResponse syr{"/"};
  GOLDEN(SyncResponse, ::SyncResponse{cstr(syr.path)}, syr);
}

TEST(RecordsGoldenTest, ChildrenAndAcls) {
  std::vector<char*> storage;
  const GetChildrenRequest g{"/p", true};
  GOLDEN(GetChildrenRequest, (::GetChildrenRequest{cstr(g.path), 1}), g);
  const GetChildrenResponse gr{{"a", "bb", ""}};
  GOLDEN(GetChildrenResponse, ::GetChildrenResponse{cvec(gr.children, storage)}, gr);
  const GetChildren2Response g2{{"x", "y"}, sample_stat()};
  GOLDEN(GetChildren2Response, (::GetChildren2Response{cvec(g2.children, storage), cstat(g2.stat)}),
         g2);
  const GetAclRequest ga{"/p"};
  GOLDEN(GetACLRequest, ::GetACLRequest{cstr(ga.path)}, ga);
  const GetAclResponse gar{sample_acls(), sample_stat()};
  CAcls acls = cacls(gar.acl);
  GOLDEN(GetACLResponse, (::GetACLResponse{acls.vec(), cstat(gar.stat)}), gar);
  const SetAclRequest sa{"/p", sample_acls(), 2};
  CAcls sacls = cacls(sa.acl);
  GOLDEN(SetACLRequest, (::SetACLRequest{cstr(sa.path), sacls.vec(), sa.version}), sa);
  const SetAclResponse sar{sample_stat()};
  GOLDEN(SetACLResponse, ::SetACLResponse{cstat(sar.stat)}, sar);
  const GetEphemeralsRequest ge{"/e"};
  GOLDEN(GetEphemeralsRequest, ::GetEphemeralsRequest{cstr(ge.prefix_path)}, ge);
  const GetEphemeralsResponse ger{{"/e/1", "/e/2"}};
  GOLDEN(GetEphemeralsResponse, ::GetEphemeralsResponse{cvec(ger.ephemerals, storage)}, ger);
  const GetAllChildrenNumberRequest gn{"/n"};
  GOLDEN(GetAllChildrenNumberRequest, ::GetAllChildrenNumberRequest{cstr(gn.path)}, gn);
  const GetAllChildrenNumberResponse gnr{123456};
  GOLDEN(GetAllChildrenNumberResponse, ::GetAllChildrenNumberResponse{gnr.total_number}, gnr);
}

TEST(RecordsGoldenTest, WatchesAndEvents) {
  const WatcherEvent ev{3, 3, "/a/b"};
  GOLDEN(WatcherEvent, (::WatcherEvent{ev.type, ev.state, cstr(ev.path)}), ev);

  std::vector<char*> s1, s2, s3, s4, s5;
  const SetWatches sw{0x300000010, {"/d1", "/d2"}, {"/e"}, {}};
  GOLDEN(SetWatches,
         (::SetWatches{sw.relative_zxid, cvec(sw.data_watches, s1), cvec(sw.exist_watches, s2),
                       cvec(sw.child_watches, s3)}),
         sw);
  const SetWatches2 sw2{0x300000010, {"/d"}, {}, {"/c1", "/c2"}, {"/p"}, {"/r", "/r2"}};
  GOLDEN(SetWatches2,
         (::SetWatches2{sw2.relative_zxid, cvec(sw2.data_watches, s1), cvec(sw2.exist_watches, s2),
                        cvec(sw2.child_watches, s3), cvec(sw2.persistent_watches, s4),
                        cvec(sw2.persistent_recursive_watches, s5)}),
         sw2);
  const AddWatchRequest aw{"/w", kAddWatchPersistentRecursive};
  GOLDEN(AddWatchRequest, (::AddWatchRequest{cstr(aw.path), aw.mode}), aw);
  const CheckWatchesRequest cw{"/w", 2};
  GOLDEN(CheckWatchesRequest, (::CheckWatchesRequest{cstr(cw.path), cw.type}), cw);
  const RemoveWatchesRequest rw{"/w", 3};
  GOLDEN(RemoveWatchesRequest, (::RemoveWatchesRequest{cstr(rw.path), rw.type}), rw);
}

TEST(RecordsGoldenTest, AuthSaslReconfigWhoAmI) {
  const AuthPacket a{0, "digest", "bob:secret"};
  GOLDEN(AuthPacket, (::AuthPacket{a.type, cstr(a.scheme), cbuf(a.auth)}), a);
  const GetSaslRequest gs{std::string("\x01\x02\x00", 3)};
  GOLDEN(GetSASLRequest, ::GetSASLRequest{cbuf(gs.token)}, gs);
  const SetSaslResponse ss{"tok"};
  GOLDEN(SetSASLResponse, ::SetSASLResponse{cbuf(ss.token)}, ss);
  const ReconfigRequest rc{"server.4=h:1:2;3", "", "", 0x100000000};
  GOLDEN(ReconfigRequest,
         (::ReconfigRequest{cstr(rc.joining_servers), cstr(rc.leaving_servers),
                            cstr(rc.new_members), rc.cur_config_id}),
         rc);
  const ErrorResponse er{-101};
  GOLDEN(ErrorResponse, ::ErrorResponse{er.err}, er);

  const WhoAmIResponse who{{ClientInfo{"ip", "127.0.0.1"}, ClientInfo{"digest", "bob"}}};
  std::vector<::ClientInfo> infos;
  for (const auto& ci : who.client_info)
    infos.push_back(::ClientInfo{cstr(ci.auth_scheme), cstr(ci.user)});
  GOLDEN(WhoAmIResponse,
         (::WhoAmIResponse{::ClientInfo_vector{static_cast<int32_t>(infos.size()), infos.data()}}),
         who);
}

// The C client writes a multi as MultiHeader + record pairs closed by {-1, true, -1}
// (zookeeper.c); ours must produce the same bytes and read them back.
TEST(RecordsGoldenTest, MultiRequest) {
  MultiRequest m;
  m.ops.push_back({OpCode::kCreate, CreateRequest{"/m/a", "1", open_acl_unsafe(), 0}});
  m.ops.push_back({OpCode::kCreate2, CreateRequest{"/m/b", "", open_acl_unsafe(), 2}});
  m.ops.push_back({OpCode::kDelete, DeleteRequest{"/m/c", 3}});
  m.ops.push_back({OpCode::kSetData, SetDataRequest{"/m", "v", -1}});
  m.ops.push_back({OpCode::kCheck, CheckVersionRequest{"/m", 7}});

  const AclList open_list = open_acl_unsafe();  // CAcls points into it
  CAcls open = cacls(open_list);
  ::CreateRequest c1{cstr("/m/a"), cbuf("1"), open.vec(), 0};
  ::CreateRequest c2{cstr("/m/b"), cbuf(""), open.vec(), 2};
  ::DeleteRequest d{cstr("/m/c"), 3};
  ::SetDataRequest s{cstr("/m"), cbuf("v"), -1};
  ::CheckVersionRequest cv{cstr("/m"), 7};
  const std::string theirs = c_bytes([&](::oarchive* oa) {
    ::MultiHeader h1{1, 0, -1}, h2{15, 0, -1}, h3{2, 0, -1}, h4{5, 0, -1}, h5{13, 0, -1},
        done{-1, 1, -1};
    int rc = 0;
    rc |= serialize_MultiHeader(oa, "h", &h1) | serialize_CreateRequest(oa, "r", &c1);
    rc |= serialize_MultiHeader(oa, "h", &h2) | serialize_CreateRequest(oa, "r", &c2);
    rc |= serialize_MultiHeader(oa, "h", &h3) | serialize_DeleteRequest(oa, "r", &d);
    rc |= serialize_MultiHeader(oa, "h", &h4) | serialize_SetDataRequest(oa, "r", &s);
    rc |= serialize_MultiHeader(oa, "h", &h5) | serialize_CheckVersionRequest(oa, "r", &cv);
    rc |= serialize_MultiHeader(oa, "h", &done);
    return rc;
  });
  EXPECT_EQ(hex(our_bytes(m)), hex(theirs));
  JuteReader r(theirs);
  MultiRequest back;
  decode_multi(r, back, MultiKind::kWrite);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(back == m);
}

// What MultiResponse.serialize writes: {type, false, 0} + record per result, errors as
// {-1, false, err} + ErrorResponse, then {-1, true, -1}.
TEST(RecordsGoldenTest, MultiResponse) {
  MultiResponse m;
  m.results.push_back({OpCode::kCreate, 0, "/m/a", {}, {}, {}});
  m.results.push_back({OpCode::kCreate2, 0, "/m/b0000000001", sample_stat(), {}, {}});
  m.results.push_back({OpCode::kDelete, 0, {}, {}, {}, {}});
  m.results.push_back({OpCode::kSetData, 0, {}, sample_stat(), {}, {}});
  m.results.push_back({OpCode::kCheck, 0, {}, {}, {}, {}});
  m.results.push_back({OpCode::kError, -101, {}, {}, {}, {}});

  ::CreateResponse c1{cstr("/m/a")};
  ::Create2Response c2{cstr("/m/b0000000001"), cstat(sample_stat())};
  ::SetDataResponse s{cstat(sample_stat())};
  ::ErrorResponse e{-101};
  const std::string theirs = c_bytes([&](::oarchive* oa) {
    ::MultiHeader h1{1, 0, 0}, h2{15, 0, 0}, h3{2, 0, 0}, h4{5, 0, 0}, h5{13, 0, 0},
        h6{-1, 0, -101}, done{-1, 1, -1};
    int rc = 0;
    rc |= serialize_MultiHeader(oa, "h", &h1) | serialize_CreateResponse(oa, "r", &c1);
    rc |= serialize_MultiHeader(oa, "h", &h2) | serialize_Create2Response(oa, "r", &c2);
    rc |= serialize_MultiHeader(oa, "h", &h3);
    rc |= serialize_MultiHeader(oa, "h", &h4) | serialize_SetDataResponse(oa, "r", &s);
    rc |= serialize_MultiHeader(oa, "h", &h5);
    rc |= serialize_MultiHeader(oa, "h", &h6) | serialize_ErrorResponse(oa, "r", &e);
    rc |= serialize_MultiHeader(oa, "h", &done);
    return rc;
  });
  EXPECT_EQ(hex(our_bytes(m)), hex(theirs));
  JuteReader r(theirs);
  MultiResponse back;
  decode(r, back);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(back == m);
}

TEST(RecordsGoldenTest, MultiReadResponse) {
  MultiResponse m;
  m.results.push_back({OpCode::kGetData, 0, {}, sample_stat(), "payload", {}});
  m.results.push_back({OpCode::kGetChildren, 0, {}, {}, {}, {"c1", "c2"}});
  m.results.push_back({OpCode::kError, -101, {}, {}, {}, {}});
  std::vector<std::string> kids{"c1", "c2"};
  std::vector<char*> storage;
  ::GetDataResponse g{cbuf("payload"), cstat(sample_stat())};
  ::GetChildrenResponse gc{cvec(kids, storage)};
  ::ErrorResponse e{-101};
  const std::string theirs = c_bytes([&](::oarchive* oa) {
    ::MultiHeader h1{4, 0, 0}, h2{8, 0, 0}, h3{-1, 0, -101}, done{-1, 1, -1};
    int rc = 0;
    rc |= serialize_MultiHeader(oa, "h", &h1) | serialize_GetDataResponse(oa, "r", &g);
    rc |= serialize_MultiHeader(oa, "h", &h2) | serialize_GetChildrenResponse(oa, "r", &gc);
    rc |= serialize_MultiHeader(oa, "h", &h3) | serialize_ErrorResponse(oa, "r", &e);
    rc |= serialize_MultiHeader(oa, "h", &done);
    return rc;
  });
  EXPECT_EQ(hex(our_bytes(m)), hex(theirs));
}

// A whole notification frame: length, ReplyHeader{-1, zxid, 0}, WatcherEvent.
TEST(RecordsGoldenTest, NotificationFrame) {
  const WatcherEvent ev{1, 3, "/new"};
  ::ReplyHeader h{-1, 0x200000003, 0};
  ::WatcherEvent cev{1, 3, cstr("/new")};
  const std::string body = c_bytes([&](::oarchive* oa) {
    return serialize_ReplyHeader(oa, "h", &h) | serialize_WatcherEvent(oa, "e", &cev);
  });
  EXPECT_EQ(hex(encode_notification(0x200000003, ev)), hex(frame(body)));
}

}  // namespace
}  // namespace conclave::wire
