// The byte layout of the messages ranks exchange (fixed-width little-endian numbers and
// length-prefixed strings); every rank runs the same build, so no versioning is needed.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "host/distributed/communicator.hpp"
#include "kmlut/error.hpp"
#include "kmlut/safetensors.hpp"

namespace kmlut::distributed {

class ByteWriter {
 public:
  void number(std::uint64_t value) { append(&value, sizeof value); }
  void real(double value) { append(&value, sizeof value); }
  void text(const std::string& value) {
    number(value.size());
    append(value.data(), value.size());
  }
  void blob(ByteView value) {
    number(value.size);
    append(value.data, value.size);
  }
  Bytes take() { return std::move(bytes_); }

 private:
  void append(const void* data, std::size_t size) {
    const auto* begin = static_cast<const std::uint8_t*>(data);
    bytes_.insert(bytes_.end(), begin, begin + size);
  }
  Bytes bytes_;
};

// Reads what a ByteWriter wrote; a message that ends early is an Error (a defect, not bad input).
class ByteReader {
 public:
  explicit ByteReader(const Bytes& bytes) : bytes_(bytes) {}
  std::uint64_t number() {
    std::uint64_t value = 0;
    std::memcpy(&value, take(sizeof value), sizeof value);
    return value;
  }
  double real() {
    double value = 0;
    std::memcpy(&value, take(sizeof value), sizeof value);
    return value;
  }
  std::string text() {
    const std::uint64_t size = number();
    const std::uint8_t* data = take(size);
    return std::string(reinterpret_cast<const char*>(data), size);
  }
  ByteView blob() {
    const std::uint64_t size = number();
    return ByteView{take(size), size};
  }

 private:
  const std::uint8_t* take(std::uint64_t size) {
    if (size > bytes_.size() - position_)
      throw Error("a message between ranks ended early");
    const std::uint8_t* data = bytes_.data() + position_;
    position_ += size;
    return data;
  }
  const Bytes& bytes_;
  std::size_t position_ = 0;
};

}  // namespace kmlut::distributed
