// Writes the wire fuzzer's seed corpus into the directory given as argv[1]: one file per
// valid packet, each prefixed with the mode byte wire_decoder_fuzz.cc dispatches on.
#include <cstdio>
#include <string>

#include "tests/unit/wire/wire_samples.h"
#include "wire/packet.h"

namespace conclave::wire {
namespace {

// Mode bytes, as in wire_decoder_fuzz.cc.
constexpr char kConnectRequestMode = 0;
constexpr char kRequestMode = 1;
constexpr char kFramesMode = 2;
constexpr char kMultiResponseMode = 3;
constexpr char kConnectResponseMode = 4;

bool write_seed(const std::string& dir, const std::string& name, char mode,
                const std::string& body) {
  const std::string path = dir + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const std::string bytes = std::string(1, mode) + body;
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

int run(const std::string& dir) {
  bool ok = true;
  int n = 0;
  for (const auto& c : samples::connect_requests()) {
    ok &= write_seed(dir, "connect_" + std::to_string(n++), kConnectRequestMode,
                     samples::connect_body(c));
  }
  std::string stream;
  n = 0;
  for (const auto& s : samples::requests()) {
    const Bytes body = samples::request_body(s);
    ok &= write_seed(dir, "request_" + std::to_string(n++), kRequestMode, body);
    stream += frame(body);
  }
  // Flags byte 0 (default limit), chunk byte 6 (7-byte reads), then every request framed.
  ok &= write_seed(dir, "frames_all", kFramesMode, std::string("\0\6", 2) + stream);

  MultiResponse m;
  m.results.push_back({OpCode::kCreate, 0, "/a", {}, {}, {}});
  m.results.push_back({OpCode::kCreate2, 0, "/b", samples::stat(), {}, {}});
  m.results.push_back({OpCode::kDelete, 0, {}, {}, {}, {}});
  m.results.push_back({OpCode::kSetData, 0, {}, samples::stat(), {}, {}});
  m.results.push_back({OpCode::kGetData, 0, {}, samples::stat(), "d", {}});
  m.results.push_back({OpCode::kGetChildren, 0, {}, {}, {}, {"x", "y"}});
  m.results.push_back({OpCode::kError, -101, {}, {}, {}, {}});
  JuteWriter w;
  encode(w, m);
  ok &= write_seed(dir, "multi_response", kMultiResponseMode, w.bytes());

  for (bool ro : {false, true}) {
    const ConnectResponse resp{0, 30000, 0x100000001, std::string(16, 'p'), ro, ro};
    ok &= write_seed(dir, std::string("connect_response_") + (ro ? "ro" : "plain"),
                     kConnectResponseMode, encode_connect_response(resp).substr(kFrameLengthBytes));
  }
  if (!ok) std::fprintf(stderr, "could not write the seed corpus into %s\n", dir.c_str());
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace conclave::wire

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <seed-dir>\n", argv[0]);
    return 2;
  }
  return conclave::wire::run(argv[1]);
}
