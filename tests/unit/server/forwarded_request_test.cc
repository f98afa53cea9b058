// What learners send their leader: forwarded requests and ping payloads round-trip, and bad
// bytes are refused, never trusted.
#include "server/forwarded_request.h"

#include <gtest/gtest.h>

namespace conclave::server {
namespace {

std::vector<ForwardedRequest> samples() {
  ForwardedRequest write;
  write.session_id = 0x1234;
  write.packet = std::string("\0\0\0\1\0\0\0\1/a", 10);
  write.auth_ids = {wire::Id{"ip", "127.0.0.1"}, wire::Id{"digest", "u:h"}};
  write.is_super = true;
  write.connection = 17;
  ForwardedRequest create;
  create.kind = ForwardedRequest::Kind::kCreateSession;
  create.session_id = 0x5678;
  create.timeout_ms = 4000;
  create.password = std::string(16, '\x07');
  ForwardedRequest close;
  close.kind = ForwardedRequest::Kind::kCloseSession;
  close.session_id = 0x9abc;
  create.connection = 0xfffffffffffffff0ull;
  ForwardedRequest attach;
  attach.kind = ForwardedRequest::Kind::kAttachSession;
  attach.session_id = 0xdef0;
  attach.connection = 3;
  return {write, create, close, attach};
}

TEST(ForwardedRequestTest, RoundTripsAndRefusesTruncations) {
  for (const ForwardedRequest& r : samples()) {
    std::string bytes = encode_forwarded_request(r);
    auto back = decode_forwarded_request(bytes);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, r);
    for (size_t n = 0; n < bytes.size(); ++n)
      EXPECT_FALSE(decode_forwarded_request(bytes.substr(0, n)).ok()) << n;
    EXPECT_FALSE(decode_forwarded_request(bytes + "x").ok());
  }
}

TEST(ForwardedRequestTest, UnknownKindIsRefused) {
  std::string bytes = encode_forwarded_request(samples()[2]);
  bytes[7] = 9;  // the kind, a big-endian int after the version
  EXPECT_FALSE(decode_forwarded_request(bytes).ok());
}

TEST(LearnerPingTest, RoundTripsAndRefusesTruncations) {
  LearnerPing p{{1, 2, 3}, 0x100000007, 0xfeedfacecafebeefull};
  std::string bytes = encode_learner_ping(p);
  auto back = decode_learner_ping(bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, p);
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_learner_ping(bytes.substr(0, n)).ok()) << n;
}

}  // namespace
}  // namespace conclave::server
