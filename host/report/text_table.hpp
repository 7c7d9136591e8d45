// Aligned plain-text tables for terminal output.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace kmlut::reporting {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "[4096, 11008]"
std::string format_shape(const std::vector<std::int64_t>& shape);
// "1.5 MiB"
std::string format_bytes(std::uint64_t bytes);

}  // namespace kmlut::reporting
