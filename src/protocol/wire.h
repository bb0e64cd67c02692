// Little-endian encoding primitives for CTDB packets: an appending Writer and a
// bounds-checked Reader. Nothing else in the tree knows a byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ctdb::proto {

using Bytes = std::vector<uint8_t>;

// Appends encoded values to *out, which must outlive the Writer.
class Writer {
 public:
  explicit Writer(Bytes* out) : out_(out) {}

  void u8(uint8_t v) { out_->push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void u64(uint64_t v);
  void f64(double v);
  void boolean(bool v) { u8(v ? 1 : 0); }
  // struct timeval as x86_64 lays it out: two 64-bit signed fields.
  void timeval(int64_t sec, int64_t usec) {
    u64(static_cast<uint64_t>(sec));
    u64(static_cast<uint64_t>(usec));
  }
  void bytes(const void* p, size_t n);
  void bytes(const Bytes& b) { bytes(b.data(), b.size()); }
  void zeros(size_t n) { out_->insert(out_->end(), n, 0); }
  // A C string with its NUL terminator; the empty optional-string case
  // (a NULL pointer in Samba) is written as nothing.
  void cstring(const std::string& s);
  // A fixed-size char array, NUL padded (and truncated to leave a NUL).
  void chararray(const std::string& s, size_t len);
  // u32 length followed by the bytes.
  void datan(const Bytes& b);
  // u32 length (counting the NUL) followed by the string and a NUL; an empty
  // string is written as length 0.
  void stringn(const std::string& s);
  // Pads with zeros to the next multiple of `align` relative to `base`.
  void align(size_t base, size_t align);

  size_t size() const { return out_->size(); }
  void patch_u32(size_t offset, uint32_t v);

 private:
  Bytes* out_;
};

// Reads encoded values from a buffer it does not own. Every read checks the
// remaining length; after the first failure ok() is false and all further
// reads fail, so a decoder can read a whole struct and check once.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  explicit Reader(const Bytes& b) : p_(b.data()), n_(b.size()) {}

  bool u8(uint8_t* v);
  bool u16(uint16_t* v);
  bool u32(uint32_t* v);
  bool i32(int32_t* v);
  bool u64(uint64_t* v);
  bool f64(double* v);
  // Accepts only 0 and 1, as 4.17 does.
  bool boolean(bool* v);
  bool timeval(int64_t* sec, int64_t* usec);
  bool bytes(size_t n, Bytes* v);
  bool view(size_t n, const uint8_t** p);
  bool skip(size_t n);
  // Reads a fixed-size char array; the result stops at the first NUL.
  bool chararray(size_t len, std::string* v);
  // Reads `n` bytes holding a NUL-terminated string (n == 0: empty string).
  bool cstring(size_t n, std::string* v);
  bool datan(Bytes* v);
  bool stringn(std::string* v);
  bool align(size_t base, size_t align);
  // Fails (and poisons the reader) when `count` items of at least `min_size`
  // bytes each cannot fit in what remains: guards allocations driven by counts.
  bool can_hold(uint64_t count, size_t min_size);

  bool ok() const { return ok_; }
  size_t offset() const { return off_; }
  size_t remaining() const { return ok_ ? n_ - off_ : 0; }
  const uint8_t* cursor() const { return p_ + off_; }
  bool fail() {
    ok_ = false;
    return false;
  }

 private:
  bool need(size_t n);

  const uint8_t* p_;
  size_t n_;
  size_t off_ = 0;
  bool ok_ = true;
};

}  // namespace ctdb::proto
