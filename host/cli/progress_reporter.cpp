#include "host/cli/progress_reporter.hpp"

#include <unistd.h>

#include <algorithm>

#include "host/cli/exit_codes.hpp"

namespace kmlut::cli {
namespace {

constexpr double kGB = 1e9;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr auto kLogInterval = std::chrono::seconds(1);

double gigabytes(std::uint64_t bytes) {
  return static_cast<double>(bytes) / kGB;
}

std::string format_seconds(double seconds) {
  char text[32];
  const int total = static_cast<int>(seconds + 0.5);
  std::snprintf(text, sizeof text, "%d:%02d", total / 60, total % 60);
  return text;
}

}  // namespace

ProgressReporter::ProgressReporter(bool quiet)
    : quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressReporter::update(const PipelineProgress& progress) {
  if (quiet_)
    return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(progress.bytes_done) / elapsed : 0.0;
  const double remaining =
      rate > 0 ? static_cast<double>(progress.bytes_total - progress.bytes_done) / rate : 0.0;
  const bool last = progress.tensors_done == progress.tensors_total;
  // A log gets a line a second at most (and the last one); a terminal is redrawn ten times a
  // second.
  if (!last && now - last_draw_ < (terminal_ ? kRedrawInterval : kLogInterval))
    return;
  last_draw_ = now;
  if (!terminal_) {
    std::fprintf(stderr, "%skmlut: %zu/%zu tensors, %.2f/%.2f GB, %.2f GB/s, ETA %s, at %s\n",
                 stderr_prefix().c_str(), progress.tensors_done, progress.tensors_total,
                 gigabytes(progress.bytes_done), gigabytes(progress.bytes_total), rate / kGB,
                 format_seconds(remaining).c_str(), progress.current.c_str());
    return;
  }
  const double fraction = progress.bytes_total > 0 ? static_cast<double>(progress.bytes_done) /
                                                         static_cast<double>(progress.bytes_total)
                                                   : 1.0;
  constexpr int kWidth = 24;
  const int filled = std::clamp(static_cast<int>(fraction * kWidth), 0, kWidth);
  std::string current = progress.current;
  if (current.size() > 40)
    current = "..." + current.substr(current.size() - 37);
  std::fprintf(stderr, "\r\033[K%s[%s%s] %zu/%zu tensors  %.2f/%.2f GB  %.2f GB/s  ETA %s  %s",
               stderr_prefix().c_str(), std::string(static_cast<std::size_t>(filled), '#').c_str(),
               std::string(static_cast<std::size_t>(kWidth - filled), ' ').c_str(),
               progress.tensors_done, progress.tensors_total, gigabytes(progress.bytes_done),
               gigabytes(progress.bytes_total), rate / kGB, format_seconds(remaining).c_str(),
               current.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressReporter::finish() {
  if (drawn_)
    std::fputc('\n', stderr);
  drawn_ = false;
}

void ProgressReporter::log(const std::string& line) {
  if (quiet_)
    return;
  finish();
  std::fprintf(stderr, "%skmlut: %s\n", stderr_prefix().c_str(), line.c_str());
}

}  // namespace kmlut::cli
