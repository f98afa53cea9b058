#include "server/peer/handshake.h"

#include <gtest/gtest.h>

#include "server/peer/peer_addresses.h"
#include "server/peer/peer_transport.h"

namespace conclave::peer {
namespace {

std::array<uint8_t, kHandshakeHeaderBytes> header_of(const std::vector<uint8_t>& bytes) {
  std::array<uint8_t, kHandshakeHeaderBytes> out{};
  std::copy_n(bytes.begin(), kHandshakeHeaderBytes, out.begin());
  return out;
}

TEST(Handshake, RoundTrip) {
  const auto bytes = encode_handshake(0x0102030405060708, "127.0.0.1:2888");
  ASSERT_EQ(bytes.size(), kHandshakeHeaderBytes + 14);
  auto header = decode_handshake_header(header_of(bytes));
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->sender_id, 0x0102030405060708);
  EXPECT_EQ(header->address_bytes, 14u);
  EXPECT_EQ(std::string(bytes.begin() + kHandshakeHeaderBytes, bytes.end()), "127.0.0.1:2888");
}

TEST(Handshake, RejectsBadMagicVersionAndLongAddress) {
  auto bytes = encode_handshake(1, "h:1");
  auto bad_magic = bytes;
  bad_magic[0] ^= 0xff;
  EXPECT_FALSE(decode_handshake_header(header_of(bad_magic)).ok());
  auto bad_version = bytes;
  bad_version[7] = 99;
  EXPECT_FALSE(decode_handshake_header(header_of(bad_version)).ok());
  const auto long_address = encode_handshake(1, std::string(kHandshakeAddressBytesMax + 1, 'a'));
  EXPECT_FALSE(decode_handshake_header(header_of(long_address)).ok());
  const auto max_address = encode_handshake(1, std::string(kHandshakeAddressBytesMax, 'a'));
  EXPECT_TRUE(decode_handshake_header(header_of(max_address)).ok());
}

TEST(FrameHeader, RoundTrip) {
  const auto header = encode_frame_header(0xA1B2C3D4);
  EXPECT_EQ(header[0], 0xA1);
  EXPECT_EQ(decode_frame_header(header), 0xA1B2C3D4u);
}

TEST(Backoff, GrowsWithJitterAndIsCapped) {
  TransportOptions options;
  options.reconnect_backoff_initial_ms = 100;
  options.reconnect_backoff_max_ms = 1000;
  // Equal jitter: within [base/2, base].
  EXPECT_EQ(backoff_delay_ms(options, 0, 0), 50);
  EXPECT_EQ(backoff_delay_ms(options, 0, 50), 100);
  EXPECT_EQ(backoff_delay_ms(options, 1, 0), 100);
  EXPECT_EQ(backoff_delay_ms(options, 2, 0), 200);
  EXPECT_EQ(backoff_delay_ms(options, 3, 400), 800);
  EXPECT_EQ(backoff_delay_ms(options, 4, 0), 500);      // capped at max
  EXPECT_EQ(backoff_delay_ms(options, 63, 500), 1000);  // no shift overflow
  for (uint64_t r = 0; r < 2000; r += 7) {
    const int64_t d = backoff_delay_ms(options, 1, r);
    EXPECT_GE(d, 100);
    EXPECT_LE(d, 200);
  }
}

TEST(PeerAddresses, PickTheRequestedPortOfEveryServerLine) {
  std::vector<server::ServerSpec> servers(2);
  servers[0].id = 1;
  servers[0].host = "10.0.0.1";
  servers[0].quorum_port = 2888;
  servers[0].election_port = 3888;
  servers[1].id = 2;
  servers[1].host = "zk2";
  servers[1].quorum_port = 2889;
  servers[1].election_port = 3889;
  const auto election = peer_addresses(servers, PeerPort::kElection);
  ASSERT_EQ(election.size(), 2u);
  EXPECT_EQ(election[1].id, 2);
  EXPECT_EQ(election[1].host, "zk2");
  EXPECT_EQ(election[1].port, 3889);
  EXPECT_EQ(peer_addresses(servers, PeerPort::kQuorum)[0].port, 2888);
}

}  // namespace
}  // namespace conclave::peer
