// Test helpers for the common/ unit tests: a scratch directory that removes
// itself, and writing a file in one call.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ctdb::unit {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ctdb-unit-XXXXXX";
    const char* p = mkdtemp(tmpl);
    EXPECT_NE(p, nullptr);
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Writes content to NAME inside the directory and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    std::string p = file(name);
    std::ofstream out(p, std::ios::binary);
    out << content;
    EXPECT_TRUE(out.good()) << p;
    return p;
  }

 private:
  std::string path_;
};

}  // namespace ctdb::unit
