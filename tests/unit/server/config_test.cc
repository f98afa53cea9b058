#include "server/config.h"

#include <gtest/gtest.h>

#include <string>

namespace conclave::server {
namespace {

TEST(ConfigTest, ReadsZooKeeperKeys) {
  auto parsed = parse_config(
      "# a comment\n"
      "tickTime=1000\n"
      "dataDir=/tmp/zk\n"
      "clientPort = 2191\n"
      "clientPortAddress=127.0.0.1\n"
      "maxClientCnxns=10\n"
      "minSessionTimeout=3000\n"
      "maxSessionTimeout=9000\n"
      "autopurge.snapRetainCount=5\n"
      "autopurge.purgeInterval=1\n"
      "snapCount=1000\n"
      "commitLogCount=50\n"
      "forceSync=no\n"
      "4lw.commands.whitelist=ruok, mntr,stat\n"
      "jute.maxbuffer=2048\n"
      "extendedTypesEnabled=true\n"
      "DigestAuthenticationProvider.superDigest=super:abc=\n"
      "server.1=127.0.0.1:2888:3888\n"
      "server.2=localhost:2889:3889:observer;127.0.0.1:2182\n",
      "zoo.cfg");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  const Config& c = parsed->config;
  EXPECT_EQ(c.tick_time_ms, 1000);
  EXPECT_EQ(c.data_dir, "/tmp/zk");
  EXPECT_EQ(c.data_log_dir, "/tmp/zk");
  EXPECT_EQ(c.client_port, 2191);
  EXPECT_EQ(c.client_port_address, "127.0.0.1");
  EXPECT_EQ(c.max_client_cnxns, 10);
  EXPECT_EQ(c.min_session_timeout(), 3000);
  EXPECT_EQ(c.max_session_timeout(), 9000);
  EXPECT_EQ(c.snap_retain_count, 5);
  EXPECT_EQ(c.snap_count, 1000);
  EXPECT_EQ(c.commit_log_count, 50);
  EXPECT_FALSE(c.force_sync);
  EXPECT_TRUE(c.four_letter_allowed("mntr"));
  EXPECT_TRUE(c.four_letter_allowed("srvr"));
  EXPECT_FALSE(c.four_letter_allowed("dump"));
  EXPECT_EQ(c.jute_max_buffer_bytes, 2048);
  EXPECT_TRUE(c.extended_types_enabled);
  EXPECT_EQ(c.super_digest, "super:abc=");
  ASSERT_EQ(c.servers.size(), 2u);
  EXPECT_EQ(c.servers[1].id, 2);
  EXPECT_TRUE(c.servers[1].observer);
  EXPECT_EQ(c.servers[1].client_port, 2182);
  EXPECT_EQ(c.servers[1].client_address, "127.0.0.1");
  EXPECT_TRUE(parsed->warnings.empty());
}

TEST(ConfigTest, DefaultsFollowTickTime) {
  auto parsed = parse_config("tickTime=500\ndataDir=/d\nclientPort=1\n", "zoo.cfg");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->config.min_session_timeout(), 1000);
  EXPECT_EQ(parsed->config.max_session_timeout(), 10000);
  EXPECT_TRUE(parsed->config.force_sync);
  EXPECT_EQ(parsed->config.snap_retain_count, 3);
  EXPECT_EQ(parsed->config.commit_log_count, 20000);
}

TEST(ConfigTest, CommitLogCountMustBePositive) {
  for (const char* bad : {"0", "-3", "many", "", "2147483648"}) {
    auto parsed =
        parse_config(std::string("dataDir=/d\nclientPort=1\ncommitLogCount=") + bad + "\n", "z");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().detail,
              std::string("z:3: commitLogCount must be a positive integer, not '") + bad + "'");
  }
  // ZooKeeper's name for it as a system property is accepted too.
  auto parsed = parse_config("dataDir=/d\nclientPort=1\nzookeeper.commitLogCount=7\n", "z");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->config.commit_log_count, 7);
  EXPECT_TRUE(parsed->warnings.empty());
}

TEST(ConfigTest, BadValueNamesFileAndLine) {
  auto parsed = parse_config("dataDir=/d\nclientPort=1\ntickTime=fast\n", "conf/zoo.cfg");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().detail,
            "conf/zoo.cfg:3: tickTime must be a positive integer, not 'fast'");
}

TEST(ConfigTest, MalformedLinesAreErrors) {
  EXPECT_FALSE(parse_config("dataDir=/d\nclientPort=1\njust words\n", "z").ok());
  EXPECT_FALSE(parse_config("dataDir=/d\nclientPort=99999\n", "z").ok());
  EXPECT_FALSE(parse_config("dataDir=/d\nclientPort=1\nserver.x=h:1:2\n", "z").ok());
  EXPECT_FALSE(parse_config("dataDir=/d\nclientPort=1\nserver.1=h:1\n", "z").ok());
  EXPECT_FALSE(parse_config("dataDir=/d\nclientPort=1\nserver.1=h:1:2:boss\n", "z").ok());
  EXPECT_FALSE(parse_config("dataDir=/d\nclientPort=1\nforceSync=maybe\n", "z").ok());
  EXPECT_FALSE(parse_config("clientPort=1\n", "z").ok()) << "dataDir is required";
  EXPECT_FALSE(
      parse_config("dataDir=/d\nclientPort=1\nminSessionTimeout=9000\nmaxSessionTimeout=100\n", "z")
          .ok());
}

TEST(ConfigTest, UnknownKeyIsAWarning) {
  auto parsed = parse_config("dataDir=/d\nclientPort=1\nflux.capacitor=on\n", "z");
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->warnings.size(), 1u);
  EXPECT_EQ(parsed->warnings[0], "z:3: unknown key 'flux.capacitor' ignored");
}

}  // namespace
}  // namespace conclave::server
