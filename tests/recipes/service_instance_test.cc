// The JSON form of recipes::ServiceInstance (no server needed): Curator x-discovery's layout
// read and written, what Curator writes round-trips, and documents that are not instances
// (not JSON, wrong types, nested too deep) are refused with an error rather than a crash.
#include "recipes/service_instance.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace conclave::recipes {
namespace {

using nlohmann::json;

// As Curator 5 (JsonInstanceSerializer, a Map payload) stores an instance.
constexpr const char* kCuratorDocument = R"({
  "name": "orders",
  "id": "4f1c7a52-8d0e-4b6e-9a61-3c2f0e5d7b19",
  "address": "10.0.0.7",
  "port": 8080,
  "sslPort": null,
  "payload": {"@class": "java.util.LinkedHashMap", "zone": "eu-1", "version": "2"},
  "registrationTimeUTC": 1325129459728,
  "serviceType": "DYNAMIC",
  "uriSpec": {"parts": [{"value": "scheme", "variable": true},
                        {"value": "://", "variable": false},
                        {"value": "address", "variable": true},
                        {"value": ":", "variable": false},
                        {"value": "port", "variable": true},
                        {"value": "/api", "variable": false}]},
  "enabled": true
})";

ServiceInstance orders() {
  return ServiceInstance{
      .name = "orders",
      .id = "4f1c7a52-8d0e-4b6e-9a61-3c2f0e5d7b19",
      .address = "10.0.0.7",
      .port = 8080,
      .ssl_port = std::nullopt,
      .payload = {{"zone", "eu-1"}, {"version", "2"}},
      .registration_time_utc_ms = 1325129459728,
      .service_type = ServiceType::kDynamic,
      .uri_spec = "{scheme}://{address}:{port}/api",
      .enabled = true,
  };
}

TEST(ServiceInstance, ReadsCuratorsDocument) {
  auto parsed = parse_instance(kCuratorDocument);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(*parsed, orders());
}

TEST(ServiceInstance, WritesWhatCuratorsCompatibleModeWrites) {
  // Everything Curator wrote, "enabled": true left out (Curator's default when missing).
  json want = json::parse(kCuratorDocument);
  want.erase("enabled");
  EXPECT_EQ(json::parse(to_json(orders())), want);
  auto again = parse_instance(to_json(orders()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, orders());
}

TEST(ServiceInstance, RoundTripsEveryField) {
  ServiceInstance i = orders();
  i.ssl_port = 8443;
  i.port.reset();
  i.enabled = false;
  i.service_type = ServiceType::kPermanent;
  i.uri_spec = "{scheme}://{address}:{ssl-port}{[}x{]}";
  i.payload = {{"quote\"and\\slash", "line\nbreak"}, {"unicode", "gr\u00fc\u00dfe"}};
  const std::string text = to_json(i);
  auto back = parse_instance(text);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, i);
  const json doc = json::parse(text);
  EXPECT_EQ(doc["enabled"], false);
  EXPECT_EQ(doc["serviceType"], "PERMANENT");
  EXPECT_TRUE(doc["port"].is_null());
  EXPECT_EQ(doc["payload"]["@class"], "java.util.LinkedHashMap");
}

TEST(ServiceInstance, NoPayloadAndNoUriSpecAreNull) {
  ServiceInstance i{.name = "a", .id = "b"};
  const json doc = json::parse(to_json(i));
  EXPECT_TRUE(doc["payload"].is_null());
  EXPECT_TRUE(doc["uriSpec"].is_null());
  EXPECT_FALSE(doc.contains("enabled"));
  auto back = parse_instance(doc.dump());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, i);
}

TEST(ServiceInstance, OtherWritersPayloadsAreReadLeniently) {
  // Spring Cloud Zookeeper's payload: an object with nested values; unknown fields ignored.
  auto parsed = parse_instance(R"({"name":"app","id":"1","address":"h","port":1,
      "payload":{"@class":"org.springframework.cloud.zookeeper.discovery.ZookeeperInstance",
                 "id":"app-1","name":"app","metadata":{"instance_status":"UP"},"weight":3},
      "registrationTimeUTC":5,"serviceType":"DYNAMIC","someFutureField":[1,2]})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->payload,
            (std::map<std::string, std::string>{{"id", "app-1"},
                                                {"name", "app"},
                                                {"metadata", R"({"instance_status":"UP"})"},
                                                {"weight", "3"}}));
  EXPECT_EQ(parsed->uri_spec, "");
  EXPECT_TRUE(parsed->enabled);
}

TEST(ServiceInstance, RefusesWhatIsNotAnInstance) {
  const std::vector<std::string> bad = {
      "",
      "not json",
      R"({"name":"a","id":"b")",  // cut short
      "[1,2,3]",
      R"("just a string")",
      R"({"id":"b"})",           // no name
      R"({"name":"a","id":7})",  // id of the wrong type
      R"({"name":"a","id":"b","port":"80"})",
      R"({"name":"a","id":"b","port":4294967296})",
      R"({"name":"a","id":"b","port":1.5})",
      R"({"name":"a","id":"b","payload":"a string payload"})",
      R"({"name":"a","id":"b","registrationTimeUTC":-1.5})",
      R"({"name":"a","id":"b","registrationTimeUTC":18446744073709551615})",
      R"({"name":"a","id":"b","serviceType":"SOMETIMES"})",
      R"({"name":"a","id":"b","uriSpec":{"parts":[{"value":3}]}})",
      R"({"name":"a","id":"b","enabled":"yes"})",
      "{\"name\":\"a\",\"id\":\"\xff\"}",  // not UTF-8
  };
  for (const std::string& text : bad) {
    auto r = parse_instance(text);
    EXPECT_EQ(r.code(), ErrorCode::kMarshallingError) << text;
  }
}

TEST(ServiceInstance, DeepNestingIsRefusedNotRecursedInto) {
  // A megabyte of '[' (jute.maxbuffer's worth): refused without a deep recursion.
  const std::string deep = R"({"name":"a","id":"b","payload":{"x":)" + std::string(1 << 20, '[') +
                           std::string(1 << 20, ']') + "}}";
  auto r = parse_instance(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("nested deeper"), std::string::npos);
  // Within the limit is fine.
  std::string nested = "0";
  for (int i = 0; i < kJsonDepthMax - 3; ++i)
    nested = "[" + nested + "]";
  auto ok = parse_instance(R"({"name":"a","id":"b","payload":{"x":)" + nested + "}}");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->payload.at("x"), nested);
}

TEST(ServiceInstance, InvalidUtf8FromTheApplicationIsReplacedNotThrown) {
  ServiceInstance i{.name = "a", .id = "b", .payload = {{"k", "bad \xff byte"}}};
  auto back = parse_instance(to_json(i));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->payload.at("k"), "bad \xef\xbf\xbd byte");  // U+FFFD
}

TEST(ServiceInstance, BuildsUrisAsCuratorsUriSpec) {
  ServiceInstance i = orders();
  auto uri = build_uri(i);
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(*uri, "http://10.0.0.7:8080/api");
  i.ssl_port = 8443;
  i.uri_spec = "{scheme}://{address}:{ssl-port}/{ name }/{[}{unknown}{]}?t={service-type}";
  EXPECT_EQ(build_uri(i).value(), "https://10.0.0.7:8443/orders/{}?t=dynamic");
  EXPECT_EQ(build_uri(i, {{"scheme", "grpc"}, {"unknown", "u"}}).value(),
            "grpc://10.0.0.7:8443/orders/{u}?t=dynamic");
  i.uri_spec = "{scheme://x";
  EXPECT_EQ(build_uri(i).code(), ErrorCode::kBadArguments);
  i.uri_spec = "x}";
  EXPECT_EQ(build_uri(i).code(), ErrorCode::kBadArguments);
}

TEST(ServiceInstance, RegistrationNeedsNodeNamesAndDynamicType) {
  EXPECT_TRUE(validate_for_registration(orders()).ok());
  for (auto change : std::vector<std::function<void(ServiceInstance&)>>{
           [](ServiceInstance& i) { i.name = ""; },
           [](ServiceInstance& i) { i.name = "a/b"; },
           [](ServiceInstance& i) { i.id = ".."; },
           [](ServiceInstance& i) { i.payload["@class"] = "x"; },
           [](ServiceInstance& i) { i.service_type = ServiceType::kStatic; },
           [](ServiceInstance& i) { i.uri_spec = "{open"; },
       }) {
    ServiceInstance i = orders();
    change(i);
    EXPECT_EQ(validate_for_registration(i).code(), ErrorCode::kBadArguments);
  }
}

}  // namespace
}  // namespace conclave::recipes
