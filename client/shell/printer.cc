#include "client/shell/printer.h"

#include <cstdio>

namespace conclave::shell {
namespace {

void write_all(FILE* f, std::string_view s) {
  if (s.empty()) return;
  std::fwrite(s.data(), 1, s.size(), f);
  std::fflush(f);
}

}  // namespace

std::string reply_json(std::string_view command, const Reply& reply) {
  JsonObject o;
  o.str("command", command).boolean("ok", reply.outcome == Outcome::kOk);
  o.append(reply.json);
  return o.encode();
}

void Printer::reply(std::string_view command, const Reply& r) {
  if (mode_ == OutputMode::kJson) {
    write_all(stdout, reply_json(command, r) + "\n");
    return;
  }
  write_all(stdout, r.out);
  write_all(stderr, r.err);
}

std::string Printer::notice_text(const Notice& n) const {
  return mode_ == OutputMode::kJson ? n.json + "\n" : n.text;
}

void Printer::notice(const Notice& n) {
  write_all(stdout, notice_text(n));
}

}  // namespace conclave::shell
