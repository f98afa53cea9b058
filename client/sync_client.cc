#include "client/sync_client.h"

namespace conclave::client {

Result<CreateResult> SyncClient::create(std::string path, Bytes data, CreateOptions options,
                                        Deadline d) {
  return c_.create(std::move(path), std::move(data), std::move(options), d).get();
}
Status SyncClient::remove(std::string path, int32_t version, Deadline d) {
  return c_.remove(std::move(path), version, d).get();
}
Result<std::optional<Stat>> SyncClient::exists(std::string path, Watcher watch, Deadline d) {
  return c_.exists(std::move(path), std::move(watch), d).get();
}
Result<DataResult> SyncClient::get_data(std::string path, Watcher watch, Deadline d) {
  return c_.get_data(std::move(path), std::move(watch), d).get();
}
Result<Stat> SyncClient::set_data(std::string path, Bytes data, int32_t version, Deadline d) {
  return c_.set_data(std::move(path), std::move(data), version, d).get();
}
Result<ChildrenResult> SyncClient::get_children(std::string path, Watcher watch, Deadline d) {
  return c_.get_children(std::move(path), std::move(watch), d).get();
}
Result<AclResult> SyncClient::get_acl(std::string path, Deadline d) {
  return c_.get_acl(std::move(path), d).get();
}
Result<Stat> SyncClient::set_acl(std::string path, AclList acl, int32_t version, Deadline d) {
  return c_.set_acl(std::move(path), std::move(acl), version, d).get();
}
Result<std::string> SyncClient::sync(std::string path, Deadline d) {
  return c_.sync(std::move(path), d).get();
}
Status SyncClient::check(std::string path, int32_t version, Deadline d) {
  return c_.check(std::move(path), version, d).get();
}
Result<std::vector<OpResult>> SyncClient::multi(std::vector<Op> ops, Deadline d) {
  return c_.multi(std::move(ops), d).get();
}
Result<std::vector<OpResult>> SyncClient::multi_read(std::vector<Op> ops, Deadline d) {
  return c_.multi_read(std::move(ops), d).get();
}
Result<std::vector<std::string>> SyncClient::get_ephemerals(std::string prefix, Deadline d) {
  return c_.get_ephemerals(std::move(prefix), d).get();
}
Result<int32_t> SyncClient::get_all_children_number(std::string path, Deadline d) {
  return c_.get_all_children_number(std::move(path), d).get();
}
Status SyncClient::add_watch(std::string path, AddWatchMode mode, Watcher watch, Deadline d) {
  return c_.add_watch(std::move(path), mode, std::move(watch), d).get();
}
Status SyncClient::remove_watches(std::string path, WatcherType type, Deadline d) {
  return c_.remove_watches(std::move(path), type, d).get();
}
Status SyncClient::check_watches(std::string path, WatcherType type, Deadline d) {
  return c_.check_watches(std::move(path), type, d).get();
}
Status SyncClient::add_auth(std::string scheme, Bytes auth, Deadline d) {
  return c_.add_auth(std::move(scheme), std::move(auth), d).get();
}
Result<std::vector<wire::ClientInfo>> SyncClient::who_am_i(Deadline d) {
  return c_.who_am_i(d).get();
}

}  // namespace conclave::client
