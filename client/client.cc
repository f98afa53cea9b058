#include "client/client.h"

#include <utility>

#include "client/connect_string.h"
#include "client/paths.h"
#include "client/session_core.h"
#include "wire/packet.h"

namespace conclave::client {
namespace {

using wire::OpCode;

// The value of an operation that answers nothing but success; turned into Status at the API.
struct Done {};

// Where a typed result goes: the application's callback, and whether it may run on the I/O
// thread (only for futures made on the callback thread; see the threading contract).
template <class T>
struct Sink {
  Callback<T> cb;
  bool inline_delivery = false;
};

template <class T>
std::pair<Sink<T>, std::future<Result<T>>> future_sink(SessionCore& core) {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  return {Sink<T>{[p](Result<T> r) { p->set_value(std::move(r)); }, core.on_callback_thread()},
          std::move(f)};
}

Status to_status(const Result<Done>& r) {
  return r.ok() ? Status() : Status(r.error());
}

std::pair<Sink<Done>, std::future<Status>> status_future_sink(SessionCore& core) {
  auto p = std::make_shared<std::promise<Status>>();
  auto f = p->get_future();
  return {
      Sink<Done>{[p](Result<Done> r) { p->set_value(to_status(r)); }, core.on_callback_thread()},
      std::move(f)};
}

Sink<Done> status_sink(StatusCallback cb) {
  return Sink<Done>{[cb = std::move(cb)](Result<Done> r) { cb(to_status(r)); }, false};
}

template <class T>
void fail_now(SessionCore& core, const Sink<T>& sink, Error e) {
  auto cb = sink.cb;
  core.deliver(sink.inline_delivery, [cb, e = std::move(e)] { cb(Result<T>(e)); });
}

// Sends one request; `decode` turns the reply into the result on the I/O thread.
template <class T, class Decode>
void issue(SessionCore& core, OpCode op, Bytes frame, WatchIntent watch, Decode decode,
           Sink<T> sink, Deadline deadline) {
  Call c;
  c.op = op;
  c.frame = std::move(frame);
  c.deadline = deadline;
  c.watch = std::move(watch);
  SessionCore* cp = &core;
  c.handler = [cp, decode = std::move(decode), sink = std::move(sink)](Result<Reply> r) {
    Result<T> out = r.ok() ? decode(r.value()) : Result<T>(r.error());
    auto cb = sink.cb;
    cp->deliver(sink.inline_delivery, [cb, out = std::move(out)]() mutable { cb(std::move(out)); });
  };
  core.submit(std::move(c));
}

template <class Body>
Bytes frame(OpCode op, const Body& body) {
  return wire::encode_request(wire::RequestHeader{0, to_int(op)}, body);
}

Error server_error(const Reply& r, std::string_view path) {
  return Error(static_cast<ErrorCode>(r.header.err), std::string(path));
}

template <class Rec>
Result<Rec> read_record(const Reply& r, std::string_view path) {
  wire::JuteReader rd(r.body);
  Rec rec;
  wire::decode(rd, rec);
  if (!rd.ok())
    return Error(ErrorCode::kMarshallingError, "malformed reply for " + std::string(path));
  return rec;
}

// Decoder for a reply whose record is Rec, mapped to T by `map`.
template <class Rec, class Map>
auto decoder(std::string path, Map map) {
  return [path = std::move(path),
          map = std::move(map)](const Reply& r) -> decltype(map(std::declval<Rec>())) {
    if (r.header.err != 0) return server_error(r, path);
    auto rec = read_record<Rec>(r, path);
    if (!rec.ok()) return rec.error();
    return map(std::move(rec.value()));
  };
}

// Decoder for a reply with no record.
auto done_decoder(std::string path) {
  return [path = std::move(path)](const Reply& r) -> Result<Done> {
    if (r.header.err != 0) return server_error(r, path);
    return Done{};
  };
}

// CreateMode's sequential bit (PERSISTENT_SEQUENTIAL 2, EPHEMERAL_SEQUENTIAL 3, ...).
constexpr int32_t kSequentialFlag = 2;

int32_t create_flags(const wire::MultiOp& op) {
  return std::visit(
      [](const auto& rec) -> int32_t {
        if constexpr (requires { rec.flags; }) {
          return rec.flags;
        } else {
          return 0;
        }
      },
      op);
}

std::string& op_path(wire::MultiOp& op) {
  return std::visit([](auto& rec) -> std::string& { return rec.path; }, op);
}

// The first failed op of a multi as an error; earlier ops carry ErrorResult(0) and later ones
// RuntimeInconsistency, so the first nonzero code is the one that failed.
Result<std::vector<OpResult>> multi_outcome(std::vector<OpResult> results,
                                            const std::vector<std::string>& paths) {
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].type == OpCode::kError && results[i].err != 0) {
      std::string detail = "multi op " + std::to_string(i);
      if (i < paths.size()) detail += " (" + paths[i] + ")";
      return Error(static_cast<ErrorCode>(results[i].err), detail);
    }
  }
  return results;
}

template <class T>
bool check_path(SessionCore& core, const Sink<T>& sink, std::string_view path,
                bool sequential = false) {
  Status st = validate_path(path, sequential);
  if (st.ok()) return true;
  fail_now(core, sink, st.error());
  return false;
}

// ---- One function per operation, shared by the future and callback forms ----

void do_create(SessionCore& core, std::string path, Bytes data, CreateOptions o,
               Sink<CreateResult> sink, Deadline d) {
  if (!check_path(core, sink, path, is_sequential(o.mode))) return;
  if (is_ttl(o.mode) != (o.ttl_ms > 0)) {
    fail_now(core, sink,
             Error(ErrorCode::kBadArguments, "ttl_ms > 0 goes with a TTL mode, and only there"));
    return;
  }
  const std::string server_path = core.chroot().prepend(path);
  const auto flags = static_cast<int32_t>(o.mode);
  OpCode op = OpCode::kCreate2;
  Bytes f;
  if (is_ttl(o.mode)) {
    op = OpCode::kCreateTtl;
    f = frame(op, wire::CreateTtlRequest{server_path, std::move(data), std::move(o.acl), flags,
                                         o.ttl_ms});
  } else {
    if (o.mode == CreateMode::kContainer) op = OpCode::kCreateContainer;
    f = frame(op, wire::CreateRequest{server_path, std::move(data), std::move(o.acl), flags});
  }
  const Chroot* ch = &core.chroot();
  issue<CreateResult>(
      core, op, std::move(f), {},
      decoder<wire::Create2Response>(path,
                                     [ch](wire::Create2Response r) -> Result<CreateResult> {
                                       return CreateResult{ch->strip(r.path), r.stat};
                                     }),
      std::move(sink), d);
}

void do_remove(SessionCore& core, std::string path, int32_t version, Sink<Done> sink, Deadline d) {
  if (!check_path(core, sink, path)) return;
  issue<Done>(core, OpCode::kDelete,
              frame(OpCode::kDelete, wire::DeleteRequest{core.chroot().prepend(path), version}), {},
              done_decoder(path), std::move(sink), d);
}

void do_exists(SessionCore& core, std::string path, Watcher w, Sink<std::optional<Stat>> sink,
               Deadline d) {
  if (!check_path(core, sink, path)) return;
  const bool watch = bool(w);
  WatchIntent intent{WatchIntent::On::kExists, path, std::move(w)};
  auto decode = [path](const Reply& r) -> Result<std::optional<Stat>> {
    if (r.header.err == to_int(ErrorCode::kNoNode)) return std::optional<Stat>();
    if (r.header.err != 0) return server_error(r, path);
    auto rec = read_record<wire::ExistsResponse>(r, path);
    if (!rec.ok()) return rec.error();
    return std::optional<Stat>(rec->stat);
  };
  issue<std::optional<Stat>>(
      core, OpCode::kExists,
      frame(OpCode::kExists, wire::ExistsRequest{core.chroot().prepend(path), watch}),
      std::move(intent), decode, std::move(sink), d);
}

void do_get_data(SessionCore& core, std::string path, Watcher w, Sink<DataResult> sink,
                 Deadline d) {
  if (!check_path(core, sink, path)) return;
  const bool watch = bool(w);
  WatchIntent intent{WatchIntent::On::kGetData, path, std::move(w)};
  issue<DataResult>(
      core, OpCode::kGetData,
      frame(OpCode::kGetData, wire::GetDataRequest{core.chroot().prepend(path), watch}),
      std::move(intent),
      decoder<wire::GetDataResponse>(path,
                                     [](wire::GetDataResponse r) -> Result<DataResult> {
                                       return DataResult{std::move(r.data), r.stat};
                                     }),
      std::move(sink), d);
}

void do_set_data(SessionCore& core, std::string path, Bytes data, int32_t version, Sink<Stat> sink,
                 Deadline d) {
  if (!check_path(core, sink, path)) return;
  issue<Stat>(core, OpCode::kSetData,
              frame(OpCode::kSetData,
                    wire::SetDataRequest{core.chroot().prepend(path), std::move(data), version}),
              {},
              decoder<wire::SetDataResponse>(
                  path, [](wire::SetDataResponse r) -> Result<Stat> { return r.stat; }),
              std::move(sink), d);
}

void do_get_children(SessionCore& core, std::string path, Watcher w, Sink<ChildrenResult> sink,
                     Deadline d) {
  if (!check_path(core, sink, path)) return;
  const bool watch = bool(w);
  WatchIntent intent{WatchIntent::On::kGetChildren, path, std::move(w)};
  issue<ChildrenResult>(
      core, OpCode::kGetChildren2,
      frame(OpCode::kGetChildren2, wire::GetChildrenRequest{core.chroot().prepend(path), watch}),
      std::move(intent),
      decoder<wire::GetChildren2Response>(
          path,
          [](wire::GetChildren2Response r) -> Result<ChildrenResult> {
            return ChildrenResult{std::move(r.children), r.stat};
          }),
      std::move(sink), d);
}

void do_get_acl(SessionCore& core, std::string path, Sink<AclResult> sink, Deadline d) {
  if (!check_path(core, sink, path)) return;
  issue<AclResult>(core, OpCode::kGetAcl,
                   frame(OpCode::kGetAcl, wire::GetAclRequest{core.chroot().prepend(path)}), {},
                   decoder<wire::GetAclResponse>(path,
                                                 [](wire::GetAclResponse r) -> Result<AclResult> {
                                                   return AclResult{std::move(r.acl), r.stat};
                                                 }),
                   std::move(sink), d);
}

void do_set_acl(SessionCore& core, std::string path, AclList acl, int32_t version, Sink<Stat> sink,
                Deadline d) {
  if (!check_path(core, sink, path)) return;
  issue<Stat>(core, OpCode::kSetAcl,
              frame(OpCode::kSetAcl,
                    wire::SetAclRequest{core.chroot().prepend(path), std::move(acl), version}),
              {},
              decoder<wire::SetAclResponse>(
                  path, [](wire::SetAclResponse r) -> Result<Stat> { return r.stat; }),
              std::move(sink), d);
}

void do_sync(SessionCore& core, std::string path, Sink<std::string> sink, Deadline d) {
  if (!check_path(core, sink, path)) return;
  const Chroot* ch = &core.chroot();
  issue<std::string>(
      core, OpCode::kSync, frame(OpCode::kSync, wire::SyncRequest{core.chroot().prepend(path)}), {},
      decoder<wire::SyncResponse>(
          path, [ch](wire::SyncResponse r) -> Result<std::string> { return ch->strip(r.path); }),
      std::move(sink), d);
}

// Shared by multi and multi_read: validates the ops, prefixes the chroot, sends.
void do_multi(SessionCore& core, std::vector<Op> ops, bool reads, Sink<std::vector<OpResult>> sink,
              Deadline d) {
  wire::MultiRequest req;
  std::vector<std::string> paths;
  for (Op& o : ops) {
    const bool ok_kind =
        reads ? wire::is_multi_read_op(o.entry.type) : wire::is_multi_write_op(o.entry.type);
    if (!ok_kind) {
      fail_now(
          core, sink,
          Error(ErrorCode::kBadArguments, std::string(reads ? "multi_read takes only reads, not "
                                                            : "multi takes only writes, not ") +
                                              std::string(wire::opcode_name(o.entry.type))));
      return;
    }
    std::string& p = op_path(o.entry.op);
    const bool seq = (create_flags(o.entry.op) & kSequentialFlag) != 0;
    if (!check_path(core, sink, p, seq)) return;
    paths.push_back(p);
    p = core.chroot().prepend(p);
    req.ops.push_back(std::move(o.entry));
  }
  const OpCode op = reads ? OpCode::kMultiRead : OpCode::kMulti;
  const Chroot* ch = &core.chroot();
  auto decode = [ch, reads,
                 paths = std::move(paths)](const Reply& r) -> Result<std::vector<OpResult>> {
    if (r.header.err != 0) return server_error(r, "multi");
    auto rec = read_record<wire::MultiResponse>(r, "multi");
    if (!rec.ok()) return rec.error();
    for (OpResult& res : rec->results) {
      if (!res.path.empty()) res.path = ch->strip(res.path);
    }
    if (reads) return std::move(rec->results);
    return multi_outcome(std::move(rec->results), paths);
  };
  issue<std::vector<OpResult>>(core, op, frame(op, req), {}, std::move(decode), std::move(sink), d);
}

void do_check(SessionCore& core, std::string path, int32_t version, Sink<Done> sink, Deadline d) {
  auto cb = sink.cb;
  Sink<std::vector<OpResult>> inner{[cb](Result<std::vector<OpResult>> r) {
                                      cb(r.ok() ? Result<Done>(Done{}) : Result<Done>(r.error()));
                                    },
                                    sink.inline_delivery};
  std::vector<Op> ops;
  ops.push_back(op::check(std::move(path), version));
  do_multi(core, std::move(ops), false, std::move(inner), d);
}

void do_get_ephemerals(SessionCore& core, std::string prefix, Sink<std::vector<std::string>> sink,
                       Deadline d) {
  if (!check_path(core, sink, prefix)) return;
  const Chroot* ch = &core.chroot();
  issue<std::vector<std::string>>(
      core, OpCode::kGetEphemerals,
      frame(OpCode::kGetEphemerals, wire::GetEphemeralsRequest{core.chroot().prepend(prefix)}), {},
      decoder<wire::GetEphemeralsResponse>(
          prefix,
          [ch](wire::GetEphemeralsResponse r) -> Result<std::vector<std::string>> {
            for (std::string& p : r.ephemerals)
              p = ch->strip(p);
            return std::move(r.ephemerals);
          }),
      std::move(sink), d);
}

void do_get_all_children_number(SessionCore& core, std::string path, Sink<int32_t> sink,
                                Deadline d) {
  if (!check_path(core, sink, path)) return;
  issue<int32_t>(
      core, OpCode::kGetAllChildrenNumber,
      frame(OpCode::kGetAllChildrenNumber,
            wire::GetAllChildrenNumberRequest{core.chroot().prepend(path)}),
      {},
      decoder<wire::GetAllChildrenNumberResponse>(
          path,
          [](wire::GetAllChildrenNumberResponse r) -> Result<int32_t> { return r.total_number; }),
      std::move(sink), d);
}

void do_add_watch(SessionCore& core, std::string path, AddWatchMode mode, Watcher w,
                  Sink<Done> sink, Deadline d) {
  if (!check_path(core, sink, path)) return;
  if (!w) {
    fail_now(core, sink, Error(ErrorCode::kBadArguments, "add_watch needs a watcher"));
    return;
  }
  WatchIntent intent{WatchIntent::On::kAddWatch, path, std::move(w)};
  intent.add_watch_kind = mode == AddWatchMode::kPersistentRecursive
                              ? WatchRegistry::Kind::kPersistentRecursive
                              : WatchRegistry::Kind::kPersistent;
  issue<Done>(core, OpCode::kAddWatch,
              frame(OpCode::kAddWatch,
                    wire::AddWatchRequest{core.chroot().prepend(path), static_cast<int32_t>(mode)}),
              std::move(intent), done_decoder(path), std::move(sink), d);
}

void do_remove_watches(SessionCore& core, std::string path, WatcherType type, Sink<Done> sink,
                       Deadline d) {
  if (!check_path(core, sink, path)) return;
  WatchIntent intent{WatchIntent::On::kRemoveWatches, path, {}};
  intent.remove_type = type;
  issue<Done>(core, OpCode::kRemoveWatches,
              frame(OpCode::kRemoveWatches, wire::RemoveWatchesRequest{core.chroot().prepend(path),
                                                                       static_cast<int32_t>(type)}),
              std::move(intent), done_decoder(path), std::move(sink), d);
}

void do_check_watches(SessionCore& core, std::string path, WatcherType type, Sink<Done> sink,
                      Deadline d) {
  if (!check_path(core, sink, path)) return;
  issue<Done>(core, OpCode::kCheckWatches,
              frame(OpCode::kCheckWatches, wire::CheckWatchesRequest{core.chroot().prepend(path),
                                                                     static_cast<int32_t>(type)}),
              {}, done_decoder(path), std::move(sink), d);
}

void do_add_auth(SessionCore& core, std::string scheme, Bytes auth, Sink<Done> sink, Deadline d) {
  Bytes f = wire::encode_request(wire::RequestHeader{wire::xid::kAuth, to_int(OpCode::kAuth)},
                                 wire::AuthPacket{0, scheme, std::move(auth)});
  issue<Done>(core, OpCode::kAuth, std::move(f), {}, done_decoder("auth scheme " + scheme),
              std::move(sink), d);
}

void do_who_am_i(SessionCore& core, Sink<std::vector<wire::ClientInfo>> sink, Deadline d) {
  issue<std::vector<wire::ClientInfo>>(
      core, OpCode::kWhoAmI, wire::encode_request(wire::RequestHeader{0, to_int(OpCode::kWhoAmI)}),
      {},
      decoder<wire::WhoAmIResponse>(
          "whoAmI",
          [](wire::WhoAmIResponse r) -> Result<std::vector<wire::ClientInfo>> {
            return std::move(r.client_info);
          }),
      std::move(sink), d);
}

}  // namespace

// ---- Handle ----

Result<std::unique_ptr<Client>> Client::connect(std::string_view connect_string,
                                                ClientOptions options) {
  auto cs = parse_connect_string(connect_string);
  if (!cs.ok()) return cs.error();
  if (options.session_timeout_ms <= 0 || options.default_deadline_ms <= 0 ||
      options.max_pending_requests == 0) {
    return Error(ErrorCode::kBadArguments,
                 "session_timeout_ms, default_deadline_ms and max_pending_requests must be > 0");
  }
  if (options.session_id != 0 && options.session_password.empty()) {
    return Error(ErrorCode::kBadArguments, "re-attaching a session needs its password");
  }
  auto core = std::make_unique<SessionCore>(std::move(cs.value()), std::move(options));
  return std::unique_ptr<Client>(new Client(std::move(core)));
}

Client::Client(std::unique_ptr<SessionCore> core) : core_(std::move(core)) {}
Client::~Client() {
  close();
}
void Client::close() {
  core_->close();
}

Status Client::wait_connected(std::chrono::milliseconds timeout) {
  return core_->wait_connected(timeout);
}
SessionState Client::state() const {
  return core_->state();
}
SessionId Client::session_id() const {
  return core_->session_id();
}
std::string Client::session_password() const {
  return core_->session_password();
}
int32_t Client::negotiated_timeout_ms() const {
  return core_->negotiated_timeout_ms();
}
Zxid Client::last_zxid_seen() const {
  return core_->last_zxid_seen();
}
const std::string& Client::chroot() const {
  return core_->chroot().root();
}

// ---- Operations: each future form and callback form over the same do_* ----

std::future<Result<CreateResult>> Client::create(std::string path, Bytes data,
                                                 CreateOptions options, Deadline d) {
  auto [sink, fut] = future_sink<CreateResult>(*core_);
  do_create(*core_, std::move(path), std::move(data), std::move(options), std::move(sink), d);
  return std::move(fut);
}
void Client::create(std::string path, Bytes data, CreateOptions options, Callback<CreateResult> cb,
                    Deadline d) {
  do_create(*core_, std::move(path), std::move(data), std::move(options), {std::move(cb)}, d);
}

std::future<Status> Client::remove(std::string path, int32_t version, Deadline d) {
  auto [sink, fut] = status_future_sink(*core_);
  do_remove(*core_, std::move(path), version, std::move(sink), d);
  return std::move(fut);
}
void Client::remove(std::string path, int32_t version, StatusCallback cb, Deadline d) {
  do_remove(*core_, std::move(path), version, status_sink(std::move(cb)), d);
}

std::future<Result<std::optional<Stat>>> Client::exists(std::string path, Watcher watch,
                                                        Deadline d) {
  auto [sink, fut] = future_sink<std::optional<Stat>>(*core_);
  do_exists(*core_, std::move(path), std::move(watch), std::move(sink), d);
  return std::move(fut);
}
void Client::exists(std::string path, Watcher watch, Callback<std::optional<Stat>> cb, Deadline d) {
  do_exists(*core_, std::move(path), std::move(watch), {std::move(cb)}, d);
}

std::future<Result<DataResult>> Client::get_data(std::string path, Watcher watch, Deadline d) {
  auto [sink, fut] = future_sink<DataResult>(*core_);
  do_get_data(*core_, std::move(path), std::move(watch), std::move(sink), d);
  return std::move(fut);
}
void Client::get_data(std::string path, Watcher watch, Callback<DataResult> cb, Deadline d) {
  do_get_data(*core_, std::move(path), std::move(watch), {std::move(cb)}, d);
}

std::future<Result<Stat>> Client::set_data(std::string path, Bytes data, int32_t version,
                                           Deadline d) {
  auto [sink, fut] = future_sink<Stat>(*core_);
  do_set_data(*core_, std::move(path), std::move(data), version, std::move(sink), d);
  return std::move(fut);
}
void Client::set_data(std::string path, Bytes data, int32_t version, Callback<Stat> cb,
                      Deadline d) {
  do_set_data(*core_, std::move(path), std::move(data), version, {std::move(cb)}, d);
}

std::future<Result<ChildrenResult>> Client::get_children(std::string path, Watcher watch,
                                                         Deadline d) {
  auto [sink, fut] = future_sink<ChildrenResult>(*core_);
  do_get_children(*core_, std::move(path), std::move(watch), std::move(sink), d);
  return std::move(fut);
}
void Client::get_children(std::string path, Watcher watch, Callback<ChildrenResult> cb,
                          Deadline d) {
  do_get_children(*core_, std::move(path), std::move(watch), {std::move(cb)}, d);
}

std::future<Result<AclResult>> Client::get_acl(std::string path, Deadline d) {
  auto [sink, fut] = future_sink<AclResult>(*core_);
  do_get_acl(*core_, std::move(path), std::move(sink), d);
  return std::move(fut);
}
void Client::get_acl(std::string path, Callback<AclResult> cb, Deadline d) {
  do_get_acl(*core_, std::move(path), {std::move(cb)}, d);
}

std::future<Result<Stat>> Client::set_acl(std::string path, AclList acl, int32_t version,
                                          Deadline d) {
  auto [sink, fut] = future_sink<Stat>(*core_);
  do_set_acl(*core_, std::move(path), std::move(acl), version, std::move(sink), d);
  return std::move(fut);
}
void Client::set_acl(std::string path, AclList acl, int32_t version, Callback<Stat> cb,
                     Deadline d) {
  do_set_acl(*core_, std::move(path), std::move(acl), version, {std::move(cb)}, d);
}

std::future<Result<std::string>> Client::sync(std::string path, Deadline d) {
  auto [sink, fut] = future_sink<std::string>(*core_);
  do_sync(*core_, std::move(path), std::move(sink), d);
  return std::move(fut);
}
void Client::sync(std::string path, Callback<std::string> cb, Deadline d) {
  do_sync(*core_, std::move(path), {std::move(cb)}, d);
}

std::future<Status> Client::check(std::string path, int32_t version, Deadline d) {
  auto [sink, fut] = status_future_sink(*core_);
  do_check(*core_, std::move(path), version, std::move(sink), d);
  return std::move(fut);
}
void Client::check(std::string path, int32_t version, StatusCallback cb, Deadline d) {
  do_check(*core_, std::move(path), version, status_sink(std::move(cb)), d);
}

std::future<Result<std::vector<OpResult>>> Client::multi(std::vector<Op> ops, Deadline d) {
  auto [sink, fut] = future_sink<std::vector<OpResult>>(*core_);
  do_multi(*core_, std::move(ops), false, std::move(sink), d);
  return std::move(fut);
}
void Client::multi(std::vector<Op> ops, Callback<std::vector<OpResult>> cb, Deadline d) {
  do_multi(*core_, std::move(ops), false, {std::move(cb)}, d);
}

std::future<Result<std::vector<OpResult>>> Client::multi_read(std::vector<Op> ops, Deadline d) {
  auto [sink, fut] = future_sink<std::vector<OpResult>>(*core_);
  do_multi(*core_, std::move(ops), true, std::move(sink), d);
  return std::move(fut);
}
void Client::multi_read(std::vector<Op> ops, Callback<std::vector<OpResult>> cb, Deadline d) {
  do_multi(*core_, std::move(ops), true, {std::move(cb)}, d);
}

std::future<Result<std::vector<std::string>>> Client::get_ephemerals(std::string prefix,
                                                                     Deadline d) {
  auto [sink, fut] = future_sink<std::vector<std::string>>(*core_);
  do_get_ephemerals(*core_, std::move(prefix), std::move(sink), d);
  return std::move(fut);
}
void Client::get_ephemerals(std::string prefix, Callback<std::vector<std::string>> cb, Deadline d) {
  do_get_ephemerals(*core_, std::move(prefix), {std::move(cb)}, d);
}

std::future<Result<int32_t>> Client::get_all_children_number(std::string path, Deadline d) {
  auto [sink, fut] = future_sink<int32_t>(*core_);
  do_get_all_children_number(*core_, std::move(path), std::move(sink), d);
  return std::move(fut);
}
void Client::get_all_children_number(std::string path, Callback<int32_t> cb, Deadline d) {
  do_get_all_children_number(*core_, std::move(path), {std::move(cb)}, d);
}

std::future<Status> Client::add_watch(std::string path, AddWatchMode mode, Watcher watch,
                                      Deadline d) {
  auto [sink, fut] = status_future_sink(*core_);
  do_add_watch(*core_, std::move(path), mode, std::move(watch), std::move(sink), d);
  return std::move(fut);
}
void Client::add_watch(std::string path, AddWatchMode mode, Watcher watch, StatusCallback cb,
                       Deadline d) {
  do_add_watch(*core_, std::move(path), mode, std::move(watch), status_sink(std::move(cb)), d);
}

std::future<Status> Client::remove_watches(std::string path, WatcherType type, Deadline d) {
  auto [sink, fut] = status_future_sink(*core_);
  do_remove_watches(*core_, std::move(path), type, std::move(sink), d);
  return std::move(fut);
}
void Client::remove_watches(std::string path, WatcherType type, StatusCallback cb, Deadline d) {
  do_remove_watches(*core_, std::move(path), type, status_sink(std::move(cb)), d);
}

std::future<Status> Client::check_watches(std::string path, WatcherType type, Deadline d) {
  auto [sink, fut] = status_future_sink(*core_);
  do_check_watches(*core_, std::move(path), type, std::move(sink), d);
  return std::move(fut);
}
void Client::check_watches(std::string path, WatcherType type, StatusCallback cb, Deadline d) {
  do_check_watches(*core_, std::move(path), type, status_sink(std::move(cb)), d);
}

std::future<Status> Client::add_auth(std::string scheme, Bytes auth, Deadline d) {
  auto [sink, fut] = status_future_sink(*core_);
  do_add_auth(*core_, std::move(scheme), std::move(auth), std::move(sink), d);
  return std::move(fut);
}
void Client::add_auth(std::string scheme, Bytes auth, StatusCallback cb, Deadline d) {
  do_add_auth(*core_, std::move(scheme), std::move(auth), status_sink(std::move(cb)), d);
}

std::future<Result<std::vector<wire::ClientInfo>>> Client::who_am_i(Deadline d) {
  auto [sink, fut] = future_sink<std::vector<wire::ClientInfo>>(*core_);
  do_who_am_i(*core_, std::move(sink), d);
  return std::move(fut);
}
void Client::who_am_i(Callback<std::vector<wire::ClientInfo>> cb, Deadline d) {
  do_who_am_i(*core_, {std::move(cb)}, d);
}

}  // namespace conclave::client
