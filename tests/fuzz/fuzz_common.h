// Shared pieces of the libFuzzer targets: a check that aborts with a message (so that the
// fuzzer keeps the input as a crash), a front-to-back input reader, and the typed round trip
// of every control payload kind and message kind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/control.h"
#include "protocol/wire.h"

namespace ctdb::fuzz {

using proto::Bytes;

// Prints "FUZZ CHECK FAILED file:line: what" on the stderr the process started with (libFuzzer
// may close fd 2 with -close_fd_mask) and aborts.
[[noreturn]] void check_failed(const char* file, int line, const char* what);

#define FUZZ_CHECK(cond)                                                \
  do {                                                                  \
    if (!(cond)) ::ctdb::fuzz::check_failed(__FILE__, __LINE__, #cond); \
  } while (0)

// Reads the fuzzer's bytes from the front, so that a seed file reads like the layout the target
// documents (selector first, then the payload). Reads past the end give zeros / fewer bytes.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), n_(size) {}

  uint8_t u8();
  uint32_t u32();  // little-endian
  uint64_t u64();  // little-endian
  Bytes bytes(size_t n);
  Bytes rest() { return bytes(remaining()); }
  std::string text_rest();
  size_t remaining() const { return n_ - off_; }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t off_ = 0;
};

// A file in memory (memfd) that parsers taking a path can read, at path(); set() replaces its
// contents. No file is left anywhere when the process ends, however it ends.
class MemFile {
 public:
  MemFile();
  const std::string& path() const { return path_; }
  void set(const std::string& content);

 private:
  int fd_;
  std::string path_;
};

// Points the C library's `stderr` stream at /dev/null: for code under test that prints every
// rejected line there. Sanitizer and libFuzzer reports use fd 2 directly and still show.
void quiet_stdio_stderr();

// Decodes `payload` as `kind` with its typed codec (types.h). When it decodes, the value is
// encoded again and that encoding must decode and encode to the same bytes (encode and decode
// agree), and for kinds whose size does not depend on how text was spelled it must be as long as
// the input. Kind-specific checks run too (a rec_buffer's records rebuild the same buffer, an
// address survives its text form). Returns whether it decoded; aborts on an inconsistency,
// including a disagreement with proto::check_payload.
bool roundtrip_payload(proto::PayloadKind kind, const Bytes& payload);

// The same for a REQ_MESSAGE payload by its srvid (message.h), checked against
// proto::check_message_payload.
bool roundtrip_message(uint64_t srvid, const Bytes& payload);

}  // namespace ctdb::fuzz
