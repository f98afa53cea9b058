// Helpers shared by the datatree tests: a tree driven like the server drives it.
#pragma once

#include <string>
#include <vector>

#include "datatree/data_tree.h"

namespace conclave::datatree::testing {

constexpr int64_t kNowMs = 1'700'000'000'000;
constexpr SessionId kSession = 0x100000000001;

inline RequestContext ctx_for(SessionId session = kSession, std::vector<wire::Id> extra_ids = {}) {
  RequestContext ctx;
  ctx.session_id = session;
  ctx.auth_ids.push_back(wire::Id{"ip", "127.0.0.1"});
  for (auto& id : extra_ids)
    ctx.auth_ids.push_back(std::move(id));
  return ctx;
}

// Prepares and applies at the next zxid, as the standalone server does.
class Driver {
 public:
  explicit Driver(DataTree& tree) : tree_(tree) {}

  ApplyResult write(wire::OpCode op, const WriteRequest& req, const RequestContext& ctx) {
    Txn txn = tree_.prepare(op, req, ctx, ++zxid_, now_ms_);
    log_.push_back(txn);
    return tree_.apply(txn);
  }
  ApplyResult create(const std::string& path, std::string data = "", int32_t flags = 0,
                     const RequestContext& ctx = ctx_for(),
                     wire::AclList acl = wire::open_acl_unsafe()) {
    return write(wire::OpCode::kCreate2, wire::CreateRequest{path, data, std::move(acl), flags},
                 ctx);
  }
  ApplyResult remove(const std::string& path, int32_t version = -1,
                     const RequestContext& ctx = ctx_for()) {
    return write(wire::OpCode::kDelete, wire::DeleteRequest{path, version}, ctx);
  }
  ApplyResult set(const std::string& path, std::string data, int32_t version = -1,
                  const RequestContext& ctx = ctx_for()) {
    return write(wire::OpCode::kSetData, wire::SetDataRequest{path, data, version}, ctx);
  }
  ApplyResult open_session(SessionId id, int32_t timeout_ms = 30000) {
    Txn txn =
        tree_.prepare_create_session(id, timeout_ms, ++zxid_, now_ms_, "pw-" + std::to_string(id));
    log_.push_back(txn);
    return tree_.apply(txn);
  }
  ApplyResult close_session(SessionId id) {
    Txn txn = tree_.prepare_close_session(id, ++zxid_, now_ms_);
    log_.push_back(txn);
    return tree_.apply(txn);
  }

  Zxid zxid() const { return zxid_; }
  void advance_ms(int64_t ms) { now_ms_ += ms; }
  int64_t now_ms() const { return now_ms_; }
  const std::vector<Txn>& log() const { return log_; }

 private:
  DataTree& tree_;
  Zxid zxid_ = 0;
  int64_t now_ms_ = kNowMs;
  std::vector<Txn> log_;
};

}  // namespace conclave::datatree::testing
