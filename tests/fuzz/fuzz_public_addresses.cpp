// libFuzzer target: the public_addresses file (common/public_addresses_file.h), read from a file
// as the daemon reads it. What parses must hold masks within the family's range, one to many
// valid interface names per address, no address twice, and parse again to the same list when
// written back out; what fails names its line.
//
// Input: u8 choice of the --public-interface default ("", "eth0", or an invalid "a/b"), then the
// file's text.
#include <net/if.h>

#include "common/public_addresses_file.h"
#include "fuzz_common.h"

namespace ctdb::fuzz {
namespace {

void fuzz_one(const uint8_t* data, size_t size) {
  static MemFile* file = new MemFile();
  Input in(data, size);
  static const char* const kDefaults[] = {"", "eth0", "a/b"};
  std::string default_iface = kDefaults[in.u8() % 3];
  std::string text = in.text_rest();
  file->set(text);
  std::string error;
  auto addrs = read_public_addresses_file(file->path(), default_iface, &error);
  if (!addrs) {
    FUZZ_CHECK(error.compare(0, file->path().size() + 1, file->path() + ":") == 0);
    return;
  }
  std::string written;
  unsigned last_line = 0;
  for (size_t i = 0; i < addrs->size(); i++) {
    const PublicAddress& a = (*addrs)[i];
    FUZZ_CHECK(a.line > last_line);
    last_line = a.line;
    FUZZ_CHECK(a.addr.is_ipv4() || a.addr.is_ipv6());
    FUZZ_CHECK(a.addr.port == 0);
    FUZZ_CHECK(a.mask <= (a.addr.is_ipv4() ? 32u : 128u));
    FUZZ_CHECK(!a.ifaces.empty());
    std::string ifaces;
    for (const std::string& name : a.ifaces) {
      FUZZ_CHECK(!name.empty() && name.size() < IFNAMSIZ);
      FUZZ_CHECK(name.find_first_of("/:, \t\r\n") == std::string::npos);
      ifaces += (ifaces.empty() ? "" : ",") + name;
    }
    for (size_t j = 0; j < i; j++) FUZZ_CHECK(!(*addrs)[j].addr.same_ip(a.addr));
    written += a.addr.to_string() + "/" + std::to_string(a.mask) + " " + ifaces + "\n";
  }
  std::string werr;
  auto again = parse_public_addresses(written, "written", "", &werr);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->size() == addrs->size());
  for (size_t i = 0; i < addrs->size(); i++) {
    FUZZ_CHECK((*again)[i].addr == (*addrs)[i].addr);
    FUZZ_CHECK((*again)[i].mask == (*addrs)[i].mask);
    FUZZ_CHECK((*again)[i].ifaces == (*addrs)[i].ifaces);
  }
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
