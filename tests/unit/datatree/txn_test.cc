#include "datatree/txn.h"

#include <gtest/gtest.h>

#include <random>

namespace conclave::datatree {
namespace {

std::vector<Txn> sample_txns() {
  TxnHeader h{0x1234, 7, 0x100000005, 1'700'000'000'000, wire::OpCode::kCreate2};
  std::vector<Txn> v;
  v.push_back(Txn{h, CreateTxn{"/a", "data", wire::open_acl_unsafe(), 0x1234, 3}});
  v.push_back(Txn{h, DeleteTxn{"/a"}});
  v.push_back(Txn{h, SetDataTxn{"/a", std::string("\0\1\2", 3), 4}});
  v.push_back(Txn{h, SetAclTxn{"/a", {wire::Acl{1, wire::Id{"digest", "u:h"}}}, 2}});
  v.push_back(Txn{h, CheckVersionTxn{"/a", 9}});
  v.push_back(Txn{h, CreateSessionTxn{30000, "0123456789abcdef"}});
  v.push_back(Txn{h, CloseSessionTxn{{"/e1", "/e2"}}});
  v.push_back(Txn{h, ErrorTxn{ErrorCode::kNodeExists}});
  MultiTxn m;
  m.txns.push_back(
      SubTxn{wire::OpCode::kCreate, CreateTxn{"/m", "", wire::open_acl_unsafe(), 0, 1}});
  m.txns.push_back(SubTxn{wire::OpCode::kSetData, SetDataTxn{"/m", "x", 1}});
  m.txns.push_back(SubTxn{wire::OpCode::kCheck, CheckVersionTxn{"/m", 1}});
  m.txns.push_back(SubTxn{wire::OpCode::kDelete, DeleteTxn{"/m"}});
  m.txns.push_back(SubTxn{wire::OpCode::kError, ErrorTxn{ErrorCode::kRuntimeInconsistency}});
  v.push_back(Txn{h, m});
  v.push_back(Txn{h, MultiTxn{}});
  return v;
}

TEST(TxnTest, RoundTrip) {
  for (const auto& txn : sample_txns()) {
    auto bytes = encode_txn(txn);
    auto back = decode_txn(bytes);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, txn);
  }
}

// Logs written before passwords were replicated (format version 1) still read.
TEST(TxnTest, Version1CreateSessionReadsWithoutAPassword) {
  TxnHeader h{0x1234, 0, 0x100000001, 1'700'000'000'000, wire::OpCode::kCreateSession};
  // Version 2 with an empty password is version 1 plus the password's 4-byte length.
  Bytes v1 = encode_txn(Txn{h, CreateSessionTxn{30000, ""}});
  v1.resize(v1.size() - 4);
  v1[3] = 1;  // the leading big-endian int: the format version
  auto back = decode_txn(v1);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, (Txn{h, CreateSessionTxn{30000, ""}}));
}

TEST(TxnTest, EveryTruncationFails) {
  for (const auto& txn : sample_txns()) {
    auto bytes = encode_txn(txn);
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(decode_txn(std::string_view(bytes).substr(0, n)).ok()) << n;
    }
    EXPECT_FALSE(decode_txn(bytes + "x").ok());
  }
}

TEST(TxnTest, GarbageNeverCrashes) {
  std::mt19937_64 rng(42);
  auto samples = sample_txns();
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = encode_txn(samples[i % samples.size()]);
    // Flip a few bytes, sometimes into huge lengths or counts.
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      size_t at = rng() % bytes.size();
      bytes[at] = static_cast<char>(rng() % 3 == 0 ? 0x7f : rng());
    }
    (void)decode_txn(bytes);
  }
  for (int i = 0; i < 5000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (auto& c : bytes)
      c = static_cast<char>(rng());
    (void)decode_txn(bytes);
  }
}

TEST(TxnTest, NestedMultiRejected) {
  // A multi body kind inside a multi must not decode.
  Txn t{TxnHeader{}, MultiTxn{}};
  auto bytes = encode_txn(t);
  // Replace the empty sub-txn list with one sub-txn whose kind is multi.
  bytes.resize(bytes.size() - 4);
  wire::JuteWriter w(&bytes);
  w.write_int(1);
  w.write_int(static_cast<int32_t>(wire::OpCode::kMulti));
  w.write_int(8);  // BodyKind::kMulti
  w.write_int(0);
  EXPECT_FALSE(decode_txn(bytes).ok());
}

}  // namespace
}  // namespace conclave::datatree
