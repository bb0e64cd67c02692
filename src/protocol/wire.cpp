// Little-endian encoding primitives (see wire.h).
#include "protocol/wire.h"

#include <cstring>

namespace ctdb::proto {

void Writer::u16(uint16_t v) {
  u8(static_cast<uint8_t>(v));
  u8(static_cast<uint8_t>(v >> 8));
}

namespace {
// One resize per value instead of one push_back per byte: recovery and traverse buffers are
// written a record at a time.
template <typename T>
void put_le(Bytes* out, T v) {
  size_t at = out->size();
  out->resize(at + sizeof(T));
  uint8_t* p = out->data() + at;
  for (size_t i = 0; i < sizeof(T); i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

void Writer::u32(uint32_t v) { put_le(out_, v); }

void Writer::u64(uint64_t v) { put_le(out_, v); }

void Writer::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  u64(bits);
}

void Writer::bytes(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out_->insert(out_->end(), b, b + n);
}

void Writer::cstring(const std::string& s) {
  if (s.empty()) return;
  bytes(s.data(), s.size());
  u8(0);
}

void Writer::chararray(const std::string& s, size_t len) {
  if (len == 0) return;
  size_t n = s.size() < len ? s.size() : len - 1;
  bytes(s.data(), n);
  zeros(len - n);
}

void Writer::datan(const Bytes& b) {
  u32(static_cast<uint32_t>(b.size()));
  bytes(b);
}

void Writer::stringn(const std::string& s) {
  u32(s.empty() ? 0 : static_cast<uint32_t>(s.size() + 1));
  cstring(s);
}

void Writer::align(size_t base, size_t a) {
  size_t rel = out_->size() - base;
  if (rel % a) zeros(a - rel % a);
}

void Writer::patch_u32(size_t offset, uint32_t v) {
  for (int i = 0; i < 4; i++) (*out_)[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

bool Reader::need(size_t n) {
  if (!ok_ || n > n_ - off_) return fail();
  return true;
}

bool Reader::u8(uint8_t* v) {
  if (!need(1)) return false;
  *v = p_[off_++];
  return true;
}

bool Reader::u16(uint16_t* v) {
  if (!need(2)) return false;
  *v = static_cast<uint16_t>(p_[off_] | (p_[off_ + 1] << 8));
  off_ += 2;
  return true;
}

bool Reader::u32(uint32_t* v) {
  if (!need(4)) return false;
  uint32_t r = 0;
  for (int i = 3; i >= 0; i--) r = (r << 8) | p_[off_ + i];
  *v = r;
  off_ += 4;
  return true;
}

bool Reader::i32(int32_t* v) {
  uint32_t u;
  if (!u32(&u)) return false;
  *v = static_cast<int32_t>(u);
  return true;
}

bool Reader::u64(uint64_t* v) {
  if (!need(8)) return false;
  uint64_t r = 0;
  for (int i = 7; i >= 0; i--) r = (r << 8) | p_[off_ + i];
  *v = r;
  off_ += 8;
  return true;
}

bool Reader::f64(double* v) {
  uint64_t bits;
  if (!u64(&bits)) return false;
  std::memcpy(v, &bits, sizeof(bits));
  return true;
}

bool Reader::boolean(bool* v) {
  uint8_t b;
  if (!u8(&b)) return false;
  if (b > 1) return fail();
  *v = b == 1;
  return true;
}

bool Reader::timeval(int64_t* sec, int64_t* usec) {
  uint64_t s, u;
  if (!u64(&s) || !u64(&u)) return false;
  *sec = static_cast<int64_t>(s);
  *usec = static_cast<int64_t>(u);
  return true;
}

bool Reader::bytes(size_t n, Bytes* v) {
  if (!need(n)) return false;
  v->assign(p_ + off_, p_ + off_ + n);
  off_ += n;
  return true;
}

bool Reader::view(size_t n, const uint8_t** p) {
  if (!need(n)) return false;
  *p = p_ + off_;
  off_ += n;
  return true;
}

bool Reader::skip(size_t n) {
  if (!need(n)) return false;
  off_ += n;
  return true;
}

bool Reader::chararray(size_t len, std::string* v) {
  if (!need(len)) return false;
  const char* s = reinterpret_cast<const char*>(p_ + off_);
  size_t n = strnlen(s, len);
  v->assign(s, n);
  off_ += len;
  return true;
}

bool Reader::cstring(size_t n, std::string* v) {
  if (!need(n)) return false;
  const char* s = reinterpret_cast<const char*>(p_ + off_);
  v->assign(s, strnlen(s, n));
  off_ += n;
  return true;
}

bool Reader::datan(Bytes* v) {
  uint32_t n;
  return u32(&n) && bytes(n, v);
}

bool Reader::stringn(std::string* v) {
  uint32_t n;
  return u32(&n) && cstring(n, v);
}

bool Reader::align(size_t base, size_t a) {
  size_t rel = off_ - base;
  return rel % a ? skip(a - rel % a) : ok_;
}

bool Reader::can_hold(uint64_t count, size_t min_size) {
  if (!ok_) return false;
  if (min_size == 0) min_size = 1;
  if (count > (n_ - off_) / min_size) return fail();
  return true;
}

}  // namespace ctdb::proto
