// Pure helpers behind the ctdb tool's input parsing and output text: node
// flags, run states, debug levels, key/value arguments, record dumps, times.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

#include "protocol/types.h"
#include "protocol/wire.h"

namespace ctdb::client {

using proto::Bytes;

// Node flag bit the tool shows for nodes whose state is not known yet.
constexpr uint32_t kNodeFlagsUnknown = 0x00000040;

// "OK" or the set flag names joined by '|' in the 4.17 tool's order.
std::string node_flags_string(uint32_t flags);

// "RUNNING" etc.; unknown values print as "UNKNOWN".
const char* runstate_name(uint32_t runstate);
// Case-insensitive; returns RUNSTATE_UNKNOWN (0) for anything else.
uint32_t runstate_from_name(const std::string& name);

// Debug levels as ctdb names them: ERROR 0, WARNING 1, NOTICE 3, INFO 5,
// DEBUG 10. parse accepts a number 0..10 or a case-insensitive name prefix.
bool debug_level_parse(const std::string& s, int* level);
const char* debug_level_name(int level);

// strtoul the way Samba's smb_strtoul(..., SMB_STR_STANDARD) does: base
// prefixes allowed, trailing text ignored, no digits or a minus sign is
// EINVAL, overflow ERANGE. Returns 0 or the errno value.
int parse_ulong(const std::string& s, unsigned long* out);

// A key or value argument: "0x..." is hex bytes, anything else the bytes of
// the string. On a bad hex string returns EINVAL and fills *error with the
// message the tool prints (newline included).
int string_to_data(const std::string& s, Bytes* out, std::string* error);

// `name(len) = "..."` with printable bytes as is and the rest (and '"', '\\')
// as \XX, followed by a newline.
std::string dump_data(const char* name, const Bytes& data);

// dmaster/rsn/flags lines of a record header as catdb prints them.
std::string dump_ltdb_header(uint32_t dmaster, uint64_t rsn, uint32_t flags);

// later - earlier for two times a daemon reported: wraps around instead of overflowing, so
// that nonsense times print as nonsense rather than being undefined behaviour.
int64_t seconds_between(int64_t later, int64_t earlier);

// later - earlier in seconds, fractions included, for two timevals a daemon reported (wrapping
// as seconds_between does).
double timeval_elapsed(const proto::Timeval& later, const proto::Timeval& earlier);

// "(DDD HH:MM:SS)" for a number of seconds.
std::string duration_dhms(int64_t seconds);

// ctime(3) text of `t`, newline included.
std::string ctime_string(int64_t t);

// One ptrans input line: `"key" "value"` with each string in quotes (hex if it
// starts with 0x). Returns false when the line has no usable key (the tool
// then skips it); *error receives any message to print.
bool ptrans_parse_line(const std::string& line, Bytes* key, Bytes* value, std::string* error);

// `ctdb statistics` output: the human form, or with `sep` the machine form
// (header line plus one value line).
std::string statistics_text(const proto::Statistics& s);
std::string statistics_machine_text(const proto::Statistics& s, const std::string& sep,
                                    bool show_header);

// `ctdb controlstats`: one row per control called since start or the last
// statistics reset, by opcode; -X gives the same columns separated by `sep`.
std::string control_statistics_text(const proto::ControlStatistics& s);
std::string control_statistics_machine_text(const proto::ControlStatistics& s,
                                            const std::string& sep);

}  // namespace ctdb::client
