#include "recipes/service_discovery.h"

#include <algorithm>
#include <future>

#include "common/log.h"
#include "recipes/protected_node.h"

namespace conclave::recipes {

std::vector<Result<client::DataResult>> read_nodes(Connection& conn,
                                                   const std::vector<std::string>& paths,
                                                   const client::Watcher& watch) {
  std::vector<std::future<Result<client::DataResult>>> pending;
  pending.reserve(paths.size());
  for (const std::string& p : paths)
    pending.push_back(conn.client().get_data(p, watch));
  std::vector<Result<client::DataResult>> out;
  out.reserve(paths.size());
  for (auto& f : pending)
    out.push_back(f.get());
  return out;
}

std::optional<ServiceInstance> read_instance(const std::string& path, const std::string& data,
                                             std::atomic<uint64_t>& malformed) {
  auto parsed = parse_instance(data);
  if (parsed.ok()) return std::move(parsed).value();
  ++malformed;
  log::warn("service discovery: skipping ", path, ": ", parsed.error().detail);
  return std::nullopt;
}

ServiceDiscovery::ServiceDiscovery(Connection& conn, std::string base_path)
    : conn_(conn), base_(std::move(base_path)) {}

Result<std::vector<std::string>> ServiceDiscovery::query_names() const {
  auto kids = conn_.sync().get_children(base_);
  if (!kids.ok()) {
    if (kids.code() == ErrorCode::kNoNode) return std::vector<std::string>();
    return kids.error();
  }
  std::vector<std::string> names = std::move(kids->children);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::vector<ServiceInstance>> ServiceDiscovery::query_instances(
    const std::string& name) const {
  const std::string service = child_path(base_, name);
  auto kids = conn_.sync().get_children(service);
  if (!kids.ok()) {
    if (kids.code() == ErrorCode::kNoNode) return std::vector<ServiceInstance>();
    return kids.error();
  }
  std::vector<std::string> ids = std::move(kids->children);
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> paths;
  for (const std::string& id : ids)
    paths.push_back(child_path(service, id));
  auto data = read_nodes(conn_, paths);
  std::vector<ServiceInstance> out;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!data[i].ok()) {
      if (data[i].code() == ErrorCode::kNoNode) continue;  // unregistered meanwhile
      return data[i].error();
    }
    if (auto inst = read_instance(paths[i], data[i]->data, malformed_)) {
      out.push_back(std::move(*inst));
    }
  }
  return out;
}

Result<std::optional<ServiceInstance>> ServiceDiscovery::query_instance(
    const std::string& name, const std::string& id) const {
  const std::string path = child_path(child_path(base_, name), id);
  auto data = conn_.sync().get_data(path);
  if (!data.ok()) {
    if (data.code() == ErrorCode::kNoNode) return std::optional<ServiceInstance>();
    return data.error();
  }
  auto parsed = parse_instance(data->data);
  if (!parsed.ok()) {
    ++malformed_;
    return Error(ErrorCode::kMarshallingError, path + ": " + parsed.error().detail);
  }
  return std::optional<ServiceInstance>(std::move(parsed).value());
}

}  // namespace conclave::recipes
