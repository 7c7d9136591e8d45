// The library's version, kept in step with CMakeLists.txt's project(VERSION).
#pragma once

namespace kmlut {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace kmlut
