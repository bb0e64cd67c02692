// libFuzzer target: the nodes file (common/nodes_file.h), read from a file as the daemon reads
// it. What parses must number the nodes by line, keep deleted nodes' slots, hold no live address
// twice, and parse again to the same nodes when written back out; what fails names its line.
#include "common/nodes_file.h"
#include "fuzz_common.h"

namespace ctdb::fuzz {
namespace {

void fuzz_one(const uint8_t* data, size_t size) {
  static MemFile* file = new MemFile();
  std::string text(reinterpret_cast<const char*>(data), size);
  file->set(text);
  std::string error;
  auto nodes = read_nodes_file(file->path(), kDefaultCtdbPort, &error);
  std::string error2;
  auto direct = parse_nodes(text, file->path(), kDefaultCtdbPort, &error2);
  FUZZ_CHECK(nodes.has_value() == direct.has_value());
  if (!nodes) {
    FUZZ_CHECK(error == error2);
    FUZZ_CHECK(error.compare(0, file->path().size() + 1, file->path() + ":") == 0);
    return;
  }
  std::string written;
  unsigned last_line = 0;
  for (size_t i = 0; i < nodes->size(); i++) {
    const NodeEntry& e = (*nodes)[i];
    FUZZ_CHECK(e.pnn == i);
    FUZZ_CHECK(e.line > last_line);
    last_line = e.line;
    FUZZ_CHECK(!e.addr.empty());
    if (e.deleted) {
      FUZZ_CHECK(e.addr.to_string() == "0.0.0.0" && e.addr.port == kDefaultCtdbPort);
      written += "#deleted\n";
      continue;
    }
    for (size_t j = 0; j < i; j++) {
      FUZZ_CHECK((*nodes)[j].deleted || !((*nodes)[j].addr == e.addr));
    }
    written += e.addr.to_string_with_port() + "\n";
  }
  std::string werr;
  auto again = parse_nodes(written, "written", 1, &werr);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->size() == nodes->size());
  for (size_t i = 0; i < nodes->size(); i++) {
    FUZZ_CHECK((*again)[i].deleted == (*nodes)[i].deleted);
    if (!(*nodes)[i].deleted) FUZZ_CHECK((*again)[i].addr == (*nodes)[i].addr);
  }
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
