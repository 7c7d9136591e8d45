#include "host/distributed/agreement.hpp"

#include "kmlut/error.hpp"

namespace kmlut::distributed {
namespace {

// A rank's contribution: a status byte (0 = success, else 1 + FailureKind), then the payload or
// the failure's message.
Bytes encode(const LocalOutcome& outcome, const Bytes& payload) {
  Bytes bytes;
  if (!outcome.failed) {
    bytes.push_back(0);
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
  }
  bytes.push_back(static_cast<std::uint8_t>(1 + static_cast<int>(outcome.kind)));
  bytes.insert(bytes.end(), outcome.message.begin(), outcome.message.end());
  return bytes;
}

}  // namespace

FailureKind failure_kind(const std::exception& error) {
  if (dynamic_cast<const ConfigError*>(&error) != nullptr)
    return FailureKind::Config;
  if (dynamic_cast<const InputError*>(&error) != nullptr)
    return FailureKind::Input;
  if (const auto* agreed = dynamic_cast<const AgreedFailure*>(&error))
    return agreed->kind();
  return FailureKind::Runtime;
}

void LocalOutcome::record(const std::exception& error) {
  if (failed)
    return;
  failed = true;
  kind = failure_kind(error);
  message = error.what();
}

std::vector<Bytes> agree(Communicator& communicator, const LocalOutcome& outcome,
                         const Bytes& payload) {
  std::vector<Bytes> gathered = communicator.all_gather(encode(outcome, payload));
  std::vector<Bytes> payloads;
  for (std::size_t rank = 0; rank < gathered.size(); ++rank) {
    const Bytes& bytes = gathered[rank];
    if (bytes.empty())
      throw Error("rank " + std::to_string(rank) + " sent an empty status");
    if (bytes[0] != 0) {
      throw AgreedFailure(
          static_cast<FailureKind>(bytes[0] - 1),
          "rank " + std::to_string(rank) + ": " + std::string(bytes.begin() + 1, bytes.end()));
    }
    payloads.emplace_back(bytes.begin() + 1, bytes.end());
  }
  return payloads;
}

std::vector<Bytes> agree(Communicator& communicator, const std::function<Bytes()>& step) {
  LocalOutcome outcome;
  Bytes payload;
  try {
    payload = step();
  } catch (const std::exception& error) {
    outcome.record(error);
  }
  return agree(communicator, outcome, payload);
}

}  // namespace kmlut::distributed
