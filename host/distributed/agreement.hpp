// Steps that every rank runs and then agrees on: each rank runs its part, and a collective step
// tells every rank whether every part succeeded. A failure on one rank thus becomes the same
// failure on all of them, at the same step, and no rank goes on to commit (docs/scaling.md,
// "Failures").
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/distributed/communicator.hpp"

namespace kmlut::distributed {

// What kind of error failed a step, so that every rank exits as the failing one would have
// (docs/architecture.md §7).
enum class FailureKind : std::uint8_t { Runtime = 0, Config = 1, Input = 2 };

// A failure that every rank of the job has learnt of; `what()` is the failing rank's message,
// prefixed with "rank N: ".
class AgreedFailure : public std::runtime_error {
 public:
  AgreedFailure(FailureKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  FailureKind kind() const { return kind_; }

 private:
  FailureKind kind_;
};

// The kind of a caught exception.
FailureKind failure_kind(const std::exception& error);

// Runs `step` here, then gathers every rank's result: the payload `step` returned, by rank. When
// any rank's step threw, every rank throws AgreedFailure for the lowest failing rank.
std::vector<Bytes> agree(Communicator& communicator, const std::function<Bytes()>& step);

// The outcome of work that ran without collective steps in between, whose failure had to be held
// back until the next one (the ranks were exchanging messages and must all finish doing so).
struct LocalOutcome {
  bool failed = false;
  FailureKind kind = FailureKind::Runtime;
  std::string message;
  void record(const std::exception& error);  // keeps the first failure
};

// agree() over an outcome already known.
std::vector<Bytes> agree(Communicator& communicator, const LocalOutcome& outcome,
                         const Bytes& payload);

}  // namespace kmlut::distributed
