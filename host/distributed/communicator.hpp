// The few collective and point-to-point operations a palettize job shared by several processes
// needs (docs/scaling.md). The MPI implementation (mpi_communicator.hpp) is the only code that
// sees MPI; SingleProcessCommunicator is the job of one process, with no MPI at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kmlut::distributed {

using Bytes = std::vector<std::uint8_t>;

// What a rank receives: who sent it and its bytes.
struct Message {
  int source = 0;
  Bytes bytes;
};

// Message kinds; each has its own tag, so one kind never consumes another's message.
enum class Channel : int { TensorParts = 1, Progress = 2 };

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // The rank among the ranks on this node (for the choice of a local GPU).
  virtual int local_rank() const = 0;

  // Every rank's `mine`, in rank order; every rank must call it.
  virtual std::vector<Bytes> all_gather(const Bytes& mine) = 0;

  // Sends without waiting for the receiver: the bytes are kept until delivered. Messages of one
  // channel from one rank to another arrive in the order they were sent.
  virtual void send(int destination, Channel channel, Bytes bytes) = 0;
  // A message of `channel` from any rank when one has arrived, else nothing; never blocks.
  virtual std::optional<Message> try_receive(Channel channel) = 0;
  // The next message of `channel` from any rank, waiting for it.
  virtual Message receive(Channel channel) = 0;
  // Waits until every send has been delivered.
  virtual void wait_for_sends() = 0;

  // Ends every rank of the job at once with `exit_code` (a failure the others cannot learn of at
  // a collective step, because they may be waiting for this rank's messages).
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

// One rank: collectives return its own contribution; it sends nothing.
class SingleProcessCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::vector<Bytes> all_gather(const Bytes& mine) override { return {mine}; }
  void send(int destination, Channel channel, Bytes bytes) override;
  std::optional<Message> try_receive(Channel) override { return std::nullopt; }
  Message receive(Channel channel) override;
  void wait_for_sends() override {}
  [[noreturn]] void abort(int exit_code) override;
};

}  // namespace kmlut::distributed
