// conclave-cli's pure parts: splitting lines, parsing commands, flags and ACLs, the zkCli
// text layouts and JSON, completion, the numbered history and the program's arguments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "client/shell/acl_text.h"
#include "client/shell/cli_args.h"
#include "client/shell/command_history.h"
#include "client/shell/command_spec.h"
#include "client/shell/completion.h"
#include "client/shell/format.h"
#include "client/shell/json.h"
#include "client/shell/printer.h"
#include "client/shell/shell.h"
#include "client/shell/tokenizer.h"

namespace conclave::shell {
namespace {

using ::testing::ElementsAre;
using Words = std::vector<std::string>;

// ---- tokenizer ----

TEST(Tokenizer, SplitsOnWhitespaceAndKeepsQuotedWords) {
  EXPECT_EQ(*tokenize("  ls   -s /a\t"), (Words{"ls", "-s", "/a"}));
  EXPECT_EQ(*tokenize("set /a \"hello world\""), (Words{"set", "/a", "hello world"}));
  EXPECT_EQ(*tokenize("set /a 'say \"hi\"'"), (Words{"set", "/a", "say \"hi\""}));
  EXPECT_EQ(*tokenize("set /a \"\""), (Words{"set", "/a", ""}));
  EXPECT_TRUE(tokenize("   ")->empty());
}

TEST(Tokenizer, UnterminatedQuoteIsAnError) {
  auto r = tokenize("set /a \"oops");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().detail, "Unterminated quote: \"oops");
}

TEST(JoinWords, RoundTripsThroughTheTokenizer) {
  for (const Words& w : {Words{"ls", "/"}, Words{"set", "/a", "two words"}, Words{"set", "/a", ""},
                         Words{"set", "/a", "say \"hi\" now"}}) {
    EXPECT_EQ(*tokenize(join_words(w)), w) << join_words(w);
  }
}

// ---- command parsing ----

ParsedCommand parse_ok(const Words& w) {
  auto p = parse_command(w);
  EXPECT_TRUE(std::holds_alternative<ParsedCommand>(p)) << w[0];
  return std::get<ParsedCommand>(p);
}

UsageError parse_bad(const Words& w) {
  auto p = parse_command(w);
  EXPECT_TRUE(std::holds_alternative<UsageError>(p)) << w[0];
  return std::holds_alternative<UsageError>(p) ? std::get<UsageError>(p) : UsageError{};
}

TEST(CommandSpec, FlagsAnywhereBundledAndWithValues) {
  auto ls = parse_ok({"ls", "-s", "-w", "/a"});
  EXPECT_TRUE(ls.has('s'));
  EXPECT_TRUE(ls.has('w'));
  EXPECT_FALSE(ls.has('R'));
  EXPECT_THAT(ls.args, ElementsAre("/a"));

  auto bundled = parse_ok({"ls", "-sR", "/a"});
  EXPECT_TRUE(bundled.has('s') && bundled.has('R'));

  auto set = parse_ok({"set", "-v", "3", "/a", "data"});
  EXPECT_EQ(set.value('v'), "3");
  EXPECT_THAT(set.args, ElementsAre("/a", "data"));
  EXPECT_EQ(parse_ok({"set", "-v3", "/a", "x"}).value('v'), "3");

  // zkCli writes the batch flag after the path.
  auto da = parse_ok({"deleteall", "/a", "-b", "10"});
  EXPECT_EQ(da.value('b'), "10");
  EXPECT_THAT(da.args, ElementsAre("/a"));

  auto rw = parse_ok({"removewatches", "/a", "-d", "-l"});
  EXPECT_TRUE(rw.has('d') && rw.has('l'));
}

TEST(CommandSpec, NegativeNumbersAndDoubleDashAreArguments) {
  EXPECT_THAT(parse_ok({"set", "/a", "-1"}).args, ElementsAre("/a", "-1"));
  EXPECT_THAT(parse_ok({"set", "--", "/a", "-s"}).args, ElementsAre("/a", "-s"));
  EXPECT_THAT(parse_ok({"set", "/a", "-"}).args, ElementsAre("/a", "-"));
}

TEST(CommandSpec, UsageErrors) {
  auto unknown = parse_bad({"bogus"});
  EXPECT_EQ(unknown.message, "Command not found: bogus");
  EXPECT_EQ(unknown.usage, "");

  auto flag = parse_bad({"get", "-x", "/a"});
  EXPECT_EQ(flag.message, "Unrecognized option: -x");
  EXPECT_EQ(flag.usage, "get [-s] [-w] path");

  auto missing = parse_bad({"ls"});
  EXPECT_EQ(missing.message, "");
  EXPECT_EQ(missing.usage, "ls [-s] [-w] [-R] path");

  EXPECT_EQ(parse_bad({"create", "/a", "d", "acl", "extra"}).usage,
            "create [-s] [-e] [-c] [-t ttl] path [data] [acl]");
  EXPECT_EQ(parse_bad({"delete", "/a", "-v"}).message, "Missing argument for option: v");
}

TEST(CommandSpec, EveryZkCliCommandIsKnown) {
  for (const char* name : {"connect",
                           "close",
                           "ls",
                           "create",
                           "get",
                           "set",
                           "stat",
                           "delete",
                           "deleteall",
                           "getAcl",
                           "setAcl",
                           "addauth",
                           "addWatch",
                           "removewatches",
                           "sync",
                           "getEphemerals",
                           "getAllChildrenNumber",
                           "whoami",
                           "history",
                           "redo",
                           "quit",
                           "help"}) {
    EXPECT_NE(find_command(name), nullptr) << name;
  }
  EXPECT_THAT(help_text(), ::testing::HasSubstr("\tstat [-w] path\n"));
}

// ---- ACLs ----

TEST(AclText, ParsesZkCliForms) {
  auto acl = parse_acl(
      "world:anyone:cdrwa,digest:bob:Zxu1kaSTK9XsV7yyjuJNuxfs0xs=:r,ip:10.0.0.0/8:rw,"
      "auth::a");
  ASSERT_TRUE(acl.ok()) << acl.error().detail;
  ASSERT_EQ(acl->size(), 4u);
  EXPECT_EQ((*acl)[0].id.scheme, "world");
  EXPECT_EQ((*acl)[0].id.id, "anyone");
  EXPECT_EQ((*acl)[0].perms, wire::perms::kAll);
  EXPECT_EQ((*acl)[1].id.id, "bob:Zxu1kaSTK9XsV7yyjuJNuxfs0xs=");
  EXPECT_EQ((*acl)[1].perms, wire::perms::kRead);
  EXPECT_EQ((*acl)[2].id.id, "10.0.0.0/8");
  EXPECT_EQ((*acl)[2].perms, wire::perms::kRead | wire::perms::kWrite);
  EXPECT_EQ((*acl)[3].id.scheme, "auth");
  EXPECT_EQ((*acl)[3].id.id, "");
  EXPECT_EQ((*acl)[3].perms, wire::perms::kAdmin);
}

TEST(AclText, RefusesMalformedEntriesWithASentence) {
  EXPECT_EQ(parse_acl("world:anyone").error().detail,
            "ACL 'world:anyone' does not have the form scheme:id:perms");
  EXPECT_EQ(parse_acl("world:anyone:r,bogus").error().detail,
            "ACL 'bogus' does not have the form scheme:id:perms");
  EXPECT_EQ(parse_acl("world:anyone:rx").error().detail,
            "Unknown permission 'x' in 'rx' (use c, d, r, w and a)");
}

TEST(AclText, FormatsAsZkCli) {
  EXPECT_EQ(format_perms(wire::perms::kAll), "cdrwa");
  EXPECT_EQ(format_perms(wire::perms::kRead | wire::perms::kCreate), "cr");
  EXPECT_EQ(format_acl(*parse_acl("world:anyone:cdrwa,ip:1.2.3.4:r")),
            "'world,'anyone\n: cdrwa\n'ip,'1.2.3.4\n: r\n");
}

// ---- text layouts ----

class UtcTime : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(UtcTime, StatLinesAsZkCli) {
  wire::Stat s;
  s.czxid = 0x2;
  s.mzxid = 0x1b;
  s.pzxid = 0xf;
  s.ctime = 0;
  s.mtime = 1'700'000'000'123;
  s.cversion = 1;
  s.version = 2;
  s.ephemeral_owner = 0x100000abcdef;
  s.data_length = 5;
  s.num_children = 1;
  EXPECT_EQ(format_stat(s),
            "cZxid = 0x2\n"
            "ctime = Thu Jan 01 00:00:00 UTC 1970\n"
            "mZxid = 0x1b\n"
            "mtime = Tue Nov 14 22:13:20 UTC 2023\n"
            "pZxid = 0xf\n"
            "cversion = 1\n"
            "dataVersion = 2\n"
            "aclVersion = 0\n"
            "ephemeralOwner = 0x100000abcdef\n"
            "dataLength = 5\n"
            "numChildren = 1\n");
  EXPECT_EQ(hex(-1), "0xffffffffffffffff");
}

TEST(Format, ListsAndEvents) {
  EXPECT_EQ(format_list({}), "[]");
  EXPECT_EQ(format_list({"a", "zookeeper"}), "[a, zookeeper]");
  client::WatchedEvent e{wire::EventType::kNodeDataChanged, "/w"};
  EXPECT_EQ(format_event(e),
            "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/w\n");
  EXPECT_EQ(event_json(e), R"({"event":"NodeDataChanged","path":"/w","state":"SyncConnected"})");
}

TEST(Format, ErrorsReadLikeSentences) {
  const std::string hosts = "127.0.0.1:2181";
  EXPECT_EQ(describe_error(Error(ErrorCode::kNoNode), "/a", hosts), "Node does not exist: /a");
  EXPECT_EQ(describe_error(Error(ErrorCode::kNodeExists), "/a", hosts), "Node already exists: /a");
  EXPECT_EQ(describe_error(Error(ErrorCode::kNotEmpty), "/a", hosts), "Node not empty: /a");
  EXPECT_EQ(describe_error(Error(ErrorCode::kNoAuth), "/a", hosts), "Insufficient permission: /a");
  EXPECT_EQ(describe_error(Error(ErrorCode::kConnectionLoss), "/a", hosts),
            "Connection lost — retrying 127.0.0.1:2181");
  EXPECT_EQ(
      describe_error(Error(ErrorCode::kBadArguments, "path must start with /: a"), "a", hosts),
      "Path must start with /: a");
}

// ---- JSON ----

TEST(Json, EscapesAndReplacesInvalidUtf8) {
  EXPECT_EQ(json_quote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  EXPECT_EQ(json_quote("h\xc3\xa9llo"), "\"h\xc3\xa9llo\"");
  EXPECT_EQ(json_quote("\xff\xc3"), R"("\ufffd\ufffd")");
  EXPECT_EQ(json_string_array({"a", "b"}), R"(["a","b"])");
  JsonObject o;
  o.str("s", "x").num("n", -3).boolean("b", true).raw("r", "[1]");
  EXPECT_EQ(o.encode(), R"({"s":"x","n":-3,"b":true,"r":[1]})");
}

TEST(Json, ReplyObject) {
  Reply ok;
  ok.json.raw("children", json_string_array({"a"}));
  EXPECT_EQ(reply_json("ls", ok), R"({"command":"ls","ok":true,"children":["a"]})");
  Reply bad = Reply::failed("Node does not exist: /a", "NONODE");
  EXPECT_EQ(reply_json("get", bad),
            R"({"command":"get","ok":false,"error":"NONODE","message":"Node does not exist: /a"})");
}

TEST(ExitStatusTest, UsageBeatsFailureBeatsSuccess) {
  ExitStatus s;
  EXPECT_EQ(s.code(), 0);
  s.add(Outcome::kOk);
  EXPECT_EQ(s.code(), 0);
  s.add(Outcome::kFailed);
  EXPECT_EQ(s.code(), 1);
  s.add(Outcome::kUsage);
  s.add(Outcome::kOk);
  EXPECT_EQ(s.code(), 2);
}

// ---- completion ----

std::vector<std::string> fake_tree(const std::string& path) {
  if (path == "/") return {"apps", "zookeeper", "app"};
  if (path == "/apps") return {"one", "two"};
  return {};
}

TEST(Completion, CommandNames) {
  auto c = complete("getA", fake_tree);
  EXPECT_THAT(c.candidates, ElementsAre("getAcl", "getAllChildrenNumber"));
  EXPECT_EQ(c.insert, "");  // nothing in common beyond "getA": the caller lists them
  EXPECT_FALSE(c.unique);

  auto u = complete("del", fake_tree);
  EXPECT_THAT(u.candidates, ElementsAre("delete", "deleteall"));
  EXPECT_EQ(u.insert, "ete");

  auto s = complete("sy", fake_tree);
  EXPECT_EQ(s.insert, "nc ");  // unique: finished with a space
  EXPECT_TRUE(s.unique);
}

TEST(Completion, Paths) {
  auto root = complete("ls /", fake_tree);
  EXPECT_EQ(root.word_start, 3u);
  EXPECT_THAT(root.candidates, ElementsAre("/app", "/apps", "/zookeeper"));
  EXPECT_EQ(root.insert, "");

  auto z = complete("get -s /z", fake_tree);
  EXPECT_THAT(z.candidates, ElementsAre("/zookeeper"));
  EXPECT_EQ(z.insert, "ookeeper");  // no trailing space: the user may go on with "/"

  auto deep = complete("ls /apps/t", fake_tree);
  EXPECT_THAT(deep.candidates, ElementsAre("/apps/two"));
  EXPECT_EQ(deep.insert, "wo");

  EXPECT_TRUE(complete("set /a dat", fake_tree).candidates.empty());
  EXPECT_TRUE(complete("ls /nothing/", fake_tree).candidates.empty());
}

// ---- numbered history ----

TEST(CommandHistoryTest, NumbersListAndBounds) {
  CommandHistory h;
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(h.add("cmd " + std::to_string(i)), i);
  EXPECT_EQ(h.next_number(), 15);
  EXPECT_EQ(h.get(3), "cmd 3");
  // The last line is `history` itself; zkCli shows it and the ten before.
  const std::string shown = h.format_recent();
  EXPECT_EQ(shown.substr(0, 9), "4 - cmd 4");
  EXPECT_THAT(shown, ::testing::EndsWith("14 - cmd 14\n"));
  h.replace(14, "ls /");
  EXPECT_EQ(h.get(14), "ls /");

  CommandHistory big;
  for (size_t i = 0; i < CommandHistory::kMaxEntries + 5; ++i)
    (void)big.add("x");
  EXPECT_FALSE(big.get(0).has_value());
  EXPECT_TRUE(big.get(5).has_value());
}

// ---- program arguments ----

TEST(CliArgsTest, OptionsThenCommand) {
  auto a = std::get<CliArgs>(parse_cli_args(
      {"-server", "h:1,h:2/app", "-timeout", "5000", "--output", "json", "ls", "-s", "/"}));
  EXPECT_EQ(a.server, "h:1,h:2/app");
  EXPECT_EQ(a.session_timeout_ms, 5000);
  EXPECT_EQ(a.output, OutputMode::kJson);
  EXPECT_THAT(a.command, ElementsAre("ls", "-s", "/"));

  auto d = std::get<CliArgs>(parse_cli_args({}));
  EXPECT_EQ(d.server, "localhost:2181");
  EXPECT_TRUE(d.command.empty());
  EXPECT_EQ(std::get<CliArgs>(parse_cli_args({"--output=json"})).output, OutputMode::kJson);
}

TEST(CliArgsTest, UsageErrors) {
  EXPECT_EQ(std::get<CliUsageError>(parse_cli_args({"-server"})).message,
            "Missing value for -server");
  EXPECT_EQ(std::get<CliUsageError>(parse_cli_args({"--output", "xml"})).message,
            "--output wants text or json, not 'xml'");
  EXPECT_EQ(std::get<CliUsageError>(parse_cli_args({"-bogus"})).message, "Unknown option: -bogus");
  EXPECT_TRUE(std::holds_alternative<CliUsageError>(parse_cli_args({"-timeout", "3"})));
}

}  // namespace
}  // namespace conclave::shell
