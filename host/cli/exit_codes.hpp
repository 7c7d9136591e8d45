// How a failure leaves the tool (docs/architecture.md §7): its exit code and the message line main
// prints for it. Shared by main and by the ranks of an MPI job, which report a failure themselves.
#pragma once

#include <exception>
#include <string>

namespace kmlut::cli {

enum ExitCode : int { kSuccess = 0, kRuntimeFailure = 1, kUsageError = 2, kInvalidInput = 3 };

// 2 for ConfigError, 3 for InputError, 1 for anything else.
int exit_code_of(const std::exception& error);

// "kmlut: ...", "kmlut: invalid input: ..." or "kmlut: error: ...", after the stderr prefix, for
// a failure that exits with `exit_code`.
std::string failure_line(int exit_code, const std::string& message);
std::string failure_line(const std::exception& error);

// Ends the command with `code` and prints nothing: another process of the job reports why.
struct SilentExit {
  int code;
};

// What every line on stderr starts with: "" for a single process, "[rank N] " for a rank of an MPI
// job, so that the lines of several ranks on one terminal can be told apart.
const std::string& stderr_prefix();
void set_stderr_prefix(std::string prefix);

}  // namespace kmlut::cli
