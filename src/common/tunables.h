// The one table of ctdbd tunables (name, default, range, wire slot, doc; the
// rows are in tunable_list.h) and the Tunables class that holds a node's
// current values. Code reads a value as tunables[kRecoverInterval]; names
// are only looked up at the protocol and command-line edges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/tunable_list.h"

namespace ctdb {

// One constant per row of the table, in table order: kNAME.
enum TunableId : uint16_t {
#define CTDB_TUNABLE_ID(name, ...) k##name,
  CTDB_TUNABLE_LIST(CTDB_TUNABLE_ID)
#undef CTDB_TUNABLE_ID
      kTunableCount
};

// Number of uint32 fields in the 4.17 wire struct ctdb_tunable_list (the
// GET_ALL_TUNABLES reply is exactly these fields, little-endian, 248 bytes).
constexpr size_t kTunableWireCount = 62;

// Marks a tunable that has no slot in ctdb_tunable_list (seed-only tunables).
constexpr int kNotOnWire = -1;

// One row of the tunables table.
struct TunableDef {
  const char* name;        // spelled as 4.17 (or the seed) spells it
  uint32_t default_value;  // the seed's default where the seed names it, else 4.17's
  bool obsolete;           // 4.17 semantics: not listed, set stores but warns
  int wire_index;          // field index in ctdb_tunable_list, or kNotOnWire
  uint32_t min;            // inclusive range enforced by Tunables::set
  uint32_t max;
  const char* doc;  // one-line description for listvars help and the man page
};

// Every tunable in LIST_TUNABLES order (4.17's table order), obsolete ones
// included, indexed by TunableId. The returned reference is to a static table.
const std::vector<TunableDef>& tunable_table();

// Case-insensitive lookup as 4.17 does; nullptr if unknown.
const TunableDef* find_tunable(std::string_view name);

enum class TunableSetResult {
  kOk,          // stored
  kObsolete,    // stored, but the name is obsolete (4.17 SET_TUNABLE status 1)
  kUnknown,     // no such tunable (SET_TUNABLE status -1)
  kOutOfRange,  // refused, nothing stored (our addition; status -1)
  kBadValue,    // text value is not a number (parse_and_set only)
};

// A node's current tunable values. Cheap to copy.
class Tunables {
 public:
  // Starts with every tunable at its default.
  Tunables();

  // Current value by name (case-insensitive). Obsolete names are readable,
  // as 4.17 GET_TUNABLE allows; nullopt for unknown names.
  std::optional<uint32_t> get(std::string_view name) const;

  // Current value of a tunable the code names: one array read.
  uint32_t operator[](TunableId id) const { return values_[id]; }

  // Sets a tunable. Known, non-obsolete names are range-checked; obsolete
  // names are stored unchecked and reported as kObsolete (4.17 behaviour).
  // On anything but kOk, *error (if given) gets a one-line message.
  TunableSetResult set(std::string_view name, uint32_t value, std::string* error = nullptr);

  // As set(), taking the value as text (decimal, 0x hex or 0 octal, as
  // `ctdb setvar` and ctdb.tunables accept); kBadValue for non-numbers.
  TunableSetResult parse_and_set(std::string_view name, std::string_view value,
                                 std::string* error = nullptr);

  // Names of the non-obsolete tunables in table order (what LIST_TUNABLES
  // returns and `ctdb listvars` prints).
  std::vector<std::string> list() const;

  // The LIST_TUNABLES payload string: list() joined with ':' (no leading or
  // trailing ':'); the control adds the uint32 length and the NUL.
  std::string list_string() const;

  // The values in ctdb_tunable_list field order (kTunableWireCount entries).
  // Seed-only tunables are not on the wire.
  std::vector<uint32_t> to_wire() const;

  // Replaces the wire-carried values from a GET_ALL_TUNABLES reply (e.g. from
  // a stock node); values are taken as they are, without range checks.
  // Returns false, changing nothing, unless exactly kTunableWireCount values.
  bool from_wire(const std::vector<uint32_t>& wire);

  // Restores every default.
  void reset();

 private:
  std::vector<uint32_t> values_;  // indexed like tunable_table()
};

// Loads a 4.17 ctdb.tunables file ("NAME=VALUE" lines, '#' comments, blank
// lines) into *tunables after resetting it to defaults. A missing file is
// not an error. Every bad line is reported in *errors as "FILE:LINE: ..."
// and makes the result false (4.17 reports all errors, not just the first).
bool load_tunables_file(const std::string& path, Tunables* tunables,
                        std::vector<std::string>* errors);

}  // namespace ctdb
