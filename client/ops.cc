#include "client/types.h"

namespace conclave::client::op {

Op create(std::string path, Bytes data, CreateOptions options) {
  Op o;
  if (is_ttl(options.mode)) {
    o.entry.type = wire::OpCode::kCreateTtl;
    o.entry.op = wire::CreateTtlRequest{std::move(path), std::move(data), std::move(options.acl),
                                        static_cast<int32_t>(options.mode), options.ttl_ms};
    return o;
  }
  // Plain create (1) rather than create2 inside a multi: every server version accepts it.
  o.entry.type = options.mode == CreateMode::kContainer ? wire::OpCode::kCreateContainer
                                                        : wire::OpCode::kCreate;
  o.entry.op = wire::CreateRequest{std::move(path), std::move(data), std::move(options.acl),
                                   static_cast<int32_t>(options.mode)};
  return o;
}

Op remove(std::string path, int32_t version) {
  return Op{{wire::OpCode::kDelete, wire::DeleteRequest{std::move(path), version}}};
}

Op set_data(std::string path, Bytes data, int32_t version) {
  return Op{
      {wire::OpCode::kSetData, wire::SetDataRequest{std::move(path), std::move(data), version}}};
}

Op check(std::string path, int32_t version) {
  return Op{{wire::OpCode::kCheck, wire::CheckVersionRequest{std::move(path), version}}};
}

Op get_data(std::string path) {
  return Op{{wire::OpCode::kGetData, wire::GetDataRequest{std::move(path), false}}};
}

Op get_children(std::string path) {
  return Op{{wire::OpCode::kGetChildren, wire::GetChildrenRequest{std::move(path), false}}};
}

}  // namespace conclave::client::op
