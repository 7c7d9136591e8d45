// Writes .npy files (format 1.0, little-endian, C order) for the Python oracles.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace kmlut::testing_support {

// `descr` is numpy's type string: "<f2", "<f4", "<f8".
inline void write_npy(const std::string& path, const std::string& descr,
                      const std::vector<std::int64_t>& shape, const void* data, std::size_t bytes) {
  std::string dims;
  for (auto d : shape)
    dims += std::to_string(d) + ", ";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  header += std::string(63 - (10 + header.size()) % 64, ' ') + "\n";  // total length % 64 == 0
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto length = static_cast<std::uint16_t>(header.size());
  out.put(static_cast<char>(length & 0xFF));
  out.put(static_cast<char>(length >> 8));
  out << header;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

}  // namespace kmlut::testing_support
