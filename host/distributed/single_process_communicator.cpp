#include <cstdlib>

#include "host/distributed/communicator.hpp"
#include "kmlut/error.hpp"

namespace kmlut::distributed {

void SingleProcessCommunicator::send(int destination, Channel, Bytes) {
  // A job of one process writes every shard itself, so nothing is ever sent.
  throw Error("a single-process job cannot send to rank " + std::to_string(destination));
}

Message SingleProcessCommunicator::receive(Channel) {
  throw Error("a single-process job has no other rank to receive from");
}

void SingleProcessCommunicator::abort(int exit_code) {
  std::_Exit(exit_code);
}

}  // namespace kmlut::distributed
