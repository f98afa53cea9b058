// The fixture of the recipe tests against a real server: a subtree per test (ServerTest), and
// a server that runs again after the test whatever the test did to it.
#pragma once

#include "tests/client/test_env.h"
#include "tests/recipes/recipes_test_util.h"

namespace conclave::recipes::testing {

class RecipeTest : public client::testing::ServerTest {
 protected:
  void TearDown() override {
    if (killed_) (void)client::testing::env().control("start");
    ServerTest::TearDown();
  }
  // Options for a session that outlives a kill_server()/start_server() (a JVM restarting on
  // a loaded machine takes a while), which the fixture's 10 s sessions may not.
  static client::ClientOptions survives_restart() {
    client::ClientOptions o;
    o.session_timeout_ms = 30'000;
    return o;
  }
  void kill_server() {
    killed_ = true;
    ASSERT_TRUE(client::testing::env().control("kill9").ok());
  }
  void start_server() {
    ASSERT_TRUE(client::testing::env().control("start").ok());
    killed_ = false;
  }
  bool killed_ = false;
};

}  // namespace conclave::recipes::testing
