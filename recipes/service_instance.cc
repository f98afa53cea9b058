#include "recipes/service_instance.h"

#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

namespace conclave::recipes {
namespace {

using Json = nlohmann::ordered_json;  // keeps Curator's field order in what we write

// Jackson's type id for the payload (ServiceInstance.getPayload() is annotated
// @JsonTypeInfo(use = Id.CLASS)): a Map payload is written with its class in it.
constexpr std::string_view kTypeKey = "@class";
constexpr std::string_view kPayloadClass = "java.util.LinkedHashMap";

struct UriPart {
  std::string value;
  bool variable = false;
};

// Curator's UriSpec(String) parser: "{" and "}" delimit variables (names trimmed), the rest is
// literal; empty tokens are dropped.
Result<std::vector<UriPart>> parse_uri_spec(std::string_view spec) {
  std::vector<UriPart> parts;
  bool inside = false;
  size_t pos = 0;
  while (pos < spec.size()) {
    const char c = spec[pos];
    if (c == '{' || c == '}') {
      if ((c == '{') == inside) {
        return Error(ErrorCode::kBadArguments,
                     std::string("uri spec: unbalanced '") + c + "' in " + std::string(spec));
      }
      inside = !inside;
      ++pos;
      continue;
    }
    const size_t end = spec.find_first_of("{}", pos);
    std::string token(spec.substr(pos, end == std::string_view::npos ? spec.npos : end - pos));
    pos = end == std::string_view::npos ? spec.size() : end;
    if (inside) {
      const size_t b = token.find_first_not_of(" \t\r\n");
      const size_t e = token.find_last_not_of(" \t\r\n");
      token = b == std::string::npos ? "" : token.substr(b, e - b + 1);
    }
    parts.push_back({std::move(token), inside});
  }
  if (inside)
    return Error(ErrorCode::kBadArguments, "uri spec: unclosed '{' in " + std::string(spec));
  return parts;
}

std::string uri_spec_text(const std::vector<UriPart>& parts) {
  std::string out;
  for (const UriPart& p : parts)
    out += p.variable ? "{" + p.value + "}" : p.value;
  return out;
}

Result<ServiceType> service_type_from(std::string_view name) {
  for (ServiceType t : {ServiceType::kDynamic, ServiceType::kStatic, ServiceType::kPermanent,
                        ServiceType::kDynamicSequential}) {
    if (service_type_name(t) == name) return t;
  }
  return Error(ErrorCode::kMarshallingError, "unknown serviceType " + std::string(name));
}

Error malformed(std::string why) {
  return Error(ErrorCode::kMarshallingError, std::move(why));
}

// An Integer field (Java's int, or null / missing for none).
Result<std::optional<int32_t>> read_port(const Json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return std::optional<int32_t>();
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    if (v <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      return std::optional<int32_t>(static_cast<int32_t>(v));
    }
  } else if (it->is_number_integer()) {
    const auto v = it->get<int64_t>();
    if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
      return std::optional<int32_t>(static_cast<int32_t>(v));
    }
  }
  return malformed(std::string(key) + " is not a 32-bit integer");
}

// Reads an object that parse() accepted (so no more than kJsonDepthMax deep).
Result<ServiceInstance> from_document(const Json& doc) {
  if (!doc.is_object()) return malformed("not a JSON object");
  ServiceInstance out;
  for (auto [key, field] : {std::pair{"name", &out.name}, std::pair{"id", &out.id}}) {
    const auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) return malformed(std::string(key) + " is missing");
    *field = it->get<std::string>();
  }
  if (const auto it = doc.find("address"); it != doc.end() && !it->is_null()) {
    if (!it->is_string()) return malformed("address is not a string");
    out.address = it->get<std::string>();
  }
  auto port = read_port(doc, "port");
  if (!port.ok()) return port.error();
  out.port = *port;
  auto ssl_port = read_port(doc, "sslPort");
  if (!ssl_port.ok()) return ssl_port.error();
  out.ssl_port = *ssl_port;
  if (const auto it = doc.find("payload"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) return malformed("payload is not a JSON object");
    for (const auto& [key, value] : it->items()) {
      if (key == kTypeKey) continue;
      out.payload[key] = value.is_string()
                             ? value.get<std::string>()
                             : value.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
  }
  if (const auto it = doc.find("registrationTimeUTC"); it != doc.end() && !it->is_null()) {
    if (it->is_number_unsigned() &&
        it->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      out.registration_time_utc_ms = static_cast<int64_t>(it->get<uint64_t>());
    } else if (it->is_number_integer() && !it->is_number_unsigned()) {
      out.registration_time_utc_ms = it->get<int64_t>();
    } else {
      return malformed("registrationTimeUTC is not a 64-bit integer");
    }
  }
  if (const auto it = doc.find("serviceType"); it != doc.end() && !it->is_null()) {
    if (!it->is_string()) return malformed("serviceType is not a string");
    auto t = service_type_from(it->get<std::string>());
    if (!t.ok()) return t.error();
    out.service_type = *t;
  }
  if (const auto it = doc.find("uriSpec"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) return malformed("uriSpec is not an object");
    std::vector<UriPart> parts;
    if (const auto ps = it->find("parts"); ps != it->end() && !ps->is_null()) {
      if (!ps->is_array()) return malformed("uriSpec.parts is not an array");
      for (const Json& p : *ps) {
        const auto v = p.is_object() ? p.find("value") : p.end();
        const auto var = p.is_object() ? p.find("variable") : p.end();
        if (!p.is_object() || v == p.end() || !v->is_string() ||
            (var != p.end() && !var->is_boolean())) {
          return malformed("uriSpec.parts holds something other than {value, variable}");
        }
        parts.push_back({v->get<std::string>(), var != p.end() && var->get<bool>()});
      }
    }
    out.uri_spec = uri_spec_text(parts);
  }
  if (const auto it = doc.find("enabled"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) return malformed("enabled is not a boolean");
    out.enabled = it->get<bool>();
  }
  return out;
}

bool is_node_name(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
}

}  // namespace

std::string_view service_type_name(ServiceType t) {
  switch (t) {
    case ServiceType::kDynamic:
      return "DYNAMIC";
    case ServiceType::kStatic:
      return "STATIC";
    case ServiceType::kPermanent:
      return "PERMANENT";
    case ServiceType::kDynamicSequential:
      return "DYNAMIC_SEQUENTIAL";
  }
  return "?";
}

std::string to_json(const ServiceInstance& instance) {
  auto port = [](const std::optional<int32_t>& p) { return p ? Json(*p) : Json(nullptr); };
  Json doc = Json::object();
  doc["name"] = instance.name;
  doc["id"] = instance.id;
  doc["address"] = instance.address;
  doc["port"] = port(instance.port);
  doc["sslPort"] = port(instance.ssl_port);
  if (instance.payload.empty()) {
    doc["payload"] = nullptr;
  } else {
    Json payload = Json::object();
    payload[std::string(kTypeKey)] = std::string(kPayloadClass);
    for (const auto& [key, value] : instance.payload) {
      if (key != kTypeKey) payload[key] = value;
    }
    doc["payload"] = std::move(payload);
  }
  doc["registrationTimeUTC"] = instance.registration_time_utc_ms;
  doc["serviceType"] = std::string(service_type_name(instance.service_type));
  auto parts = parse_uri_spec(instance.uri_spec);
  if (instance.uri_spec.empty() || !parts.ok()) {
    doc["uriSpec"] = nullptr;  // validate_for_registration() refuses a bad spec before this
  } else {
    Json list = Json::array();
    for (const UriPart& p : *parts)
      list.push_back(Json{{"value", p.value}, {"variable", p.variable}});
    doc["uriSpec"] = Json{{"parts", std::move(list)}};
  }
  if (!instance.enabled) doc["enabled"] = false;
  // Invalid UTF-8 from the application is replaced (U+FFFD) rather than thrown about.
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<ServiceInstance> parse_instance(std::string_view text) {
  bool too_deep = false;
  Json::parser_callback_t limit_depth = [&too_deep](int depth, Json::parse_event_t, Json&) {
    if (depth <= kJsonDepthMax) return true;
    too_deep = true;
    return false;  // dropped: the document is refused below
  };
  try {  // nothing below should throw (no exceptions asked for, types checked); if anything
         // does, the document is malformed, not the process
    Json doc = Json::parse(text.begin(), text.end(), limit_depth, /*allow_exceptions=*/false);
    if (too_deep) {
      return malformed("nested deeper than " + std::to_string(kJsonDepthMax) + " levels");
    }
    if (doc.is_discarded()) return malformed("not JSON");
    return from_document(doc);
  } catch (const std::exception& e) {
    return malformed(std::string("unreadable: ") + e.what());
  }
}

Result<std::string> build_uri(const ServiceInstance& instance,
                              const std::map<std::string, std::string>& variables) {
  auto parts = parse_uri_spec(instance.uri_spec);
  if (!parts.ok()) return parts.error();
  auto text = [](const std::optional<int32_t>& p) { return p ? std::to_string(*p) : ""; };
  std::string type(service_type_name(instance.service_type));
  for (char& c : type)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  std::map<std::string, std::string> fields = {
      {"[", "{"},
      {"]", "}"},
      {"scheme", instance.ssl_port ? "https" : "http"},
      {"name", instance.name},
      {"id", instance.id},
      {"address", instance.address},
      {"port", text(instance.port)},
      {"ssl-port", text(instance.ssl_port)},
      {"registration-time-utc", std::to_string(instance.registration_time_utc_ms)},
      {"service-type", type},
  };
  for (const auto& [k, v] : variables)
    fields[k] = v;
  std::string out;
  for (const UriPart& p : *parts) {
    if (!p.variable) {
      out += p.value;
    } else if (auto it = fields.find(p.value); it != fields.end()) {
      out += it->second;
    }
  }
  return out;
}

Status validate_for_registration(const ServiceInstance& instance) {
  if (!is_node_name(instance.name)) {
    return Error(ErrorCode::kBadArguments, "service name '" + instance.name + "' is no node name");
  }
  if (!is_node_name(instance.id)) {
    return Error(ErrorCode::kBadArguments, "instance id '" + instance.id + "' is no node name");
  }
  if (instance.payload.count(std::string(kTypeKey))) {
    return Error(ErrorCode::kBadArguments,
                 "the payload key @class is reserved (Jackson's type id)");
  }
  if (instance.service_type != ServiceType::kDynamic) {
    return Error(ErrorCode::kBadArguments,
                 "only DYNAMIC (ephemeral) instances are registered, not " +
                     std::string(service_type_name(instance.service_type)));
  }
  if (auto parts = parse_uri_spec(instance.uri_spec); !parts.ok()) return parts.error();
  return Status::success();
}

}  // namespace conclave::recipes
