// recipes::ServiceInstance — one registered instance of a service, and its JSON form, which
// is Curator x-discovery's (ServiceInstance through JsonInstanceSerializer), so Curator's
// ServiceDiscovery reads what ServiceRegistry writes and ServiceDiscovery/ServiceCache read
// what Curator writes:
//
//   {"name":"orders","id":"4f1c…","address":"10.0.0.7","port":8080,"sslPort":null,
//    "payload":{"@class":"java.util.LinkedHashMap","zone":"eu-1"},
//    "registrationTimeUTC":1325129459728,"serviceType":"DYNAMIC",
//    "uriSpec":{"parts":[{"value":"scheme","variable":true},{"value":"://","variable":false},…]}}
//
// Written as Curator's compatible serialization mode writes it: "enabled" appears only when
// false (Curator reads a missing "enabled" as true, and Curator clients older than 2.9.1 fail
// on the field). The payload is a JSON object of string keys and values; Curator writes a
// Map payload with Jackson's type id "@class" in it, so ours carries it too (a Curator client
// with a Map or Object payload class reads it as a LinkedHashMap), and reading drops it.
//
// Reading is lenient where Curator's documents differ from ours and strict elsewhere: unknown
// fields are ignored (as Curator does); a payload object's values that are not strings
// (Spring Cloud's and Dubbo's payloads nest objects) are kept as their JSON text; a payload
// that is not an object or null, a field of the wrong type, a missing name or id, text that is
// not JSON, or JSON nested deeper than kJsonDepthMax is an error (the caller skips that
// instance).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace conclave::recipes {

// Deepest nesting of arrays and objects a document may have; deeper ones are refused before
// anything recursive (dumping a payload value) touches them.
constexpr int kJsonDepthMax = 32;

// Curator's ServiceType. DYNAMIC instances are ephemeral nodes (the only kind ServiceRegistry
// writes); the others are read as they are.
enum class ServiceType { kDynamic, kStatic, kPermanent, kDynamicSequential };
std::string_view service_type_name(ServiceType t);  // "DYNAMIC", ...

struct ServiceInstance {
  // Every member has an initializer, so designated initializers may leave any out.
  std::string name{};     // the service's name: the node <base>/<name>
  std::string id{};       // unique among the service's instances: the node <base>/<name>/<id>
  std::string address{};  // host name or IP
  std::optional<int32_t> port{};
  std::optional<int32_t> ssl_port{};
  std::map<std::string, std::string> payload{};  // metadata; the key "@class" is reserved
  int64_t registration_time_utc_ms = 0;          // 0 on register: the registry puts the time in
  ServiceType service_type = ServiceType::kDynamic;
  // Curator's UriSpec text, e.g. "{scheme}://{address}:{port}/api"; empty for none.
  std::string uri_spec{};
  bool enabled = true;

  bool operator==(const ServiceInstance&) const = default;
};

// The instance as a JSON document (Curator's layout, above).
std::string to_json(const ServiceInstance& instance);
// The instance in `text`, or kMarshallingError saying what is wrong with it.
Result<ServiceInstance> parse_instance(std::string_view text);

// Curator's UriSpec.build(instance): each {field} replaced by the instance's value: scheme
// ("https" with an ssl_port, else "http"), name, id, address, port, ssl-port,
// registration-time-utc, service-type (lower case), [ and ] (literal braces); `variables`
// add fields and override these. Unknown fields become empty. An error if uri_spec has
// unbalanced braces.
Result<std::string> build_uri(const ServiceInstance& instance,
                              const std::map<std::string, std::string>& variables = {});

// OK if `instance` can be registered: name and id usable as node names, no "@class" key in
// the payload, a well-formed uri_spec, and ServiceType::kDynamic.
Status validate_for_registration(const ServiceInstance& instance);

}  // namespace conclave::recipes
