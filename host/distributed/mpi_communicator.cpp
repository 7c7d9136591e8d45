#include "host/distributed/mpi_communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <list>
#include <thread>
#include <utility>

#include "kmlut/error.hpp"

namespace kmlut::distributed {
namespace {

// MPI counts are ints: a message travels as its length (8 bytes), then in pieces of at most this
// many bytes. Pieces of one message follow each other (MPI keeps the order of messages with the
// same source, destination and tag).
constexpr std::size_t kPieceBytes = std::size_t{1} << 30;

void check(int status, const char* call) {
  if (status != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(status, text, &length);
    throw Error(std::string(call) +
                " failed: " + std::string(text, static_cast<std::size_t>(length)));
  }
}

int tag_of(Channel channel) {
  return static_cast<int>(channel);
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors come back as codes (and become exceptions) instead of aborting inside MPI.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm node;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
    MPI_Comm_rank(node, &local_rank_);
    MPI_Comm_free(&node);
  }

  ~MpiCommunicator() override {
    try {
      wait_for_sends();
    } catch (...) {  // finalising regardless: the job is ending
    }
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }

  std::vector<Bytes> all_gather(const Bytes& mine) override {
    wait_for_everyone();
    const unsigned long long my_size = mine.size();
    std::vector<unsigned long long> sizes(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&my_size, 1, MPI_UNSIGNED_LONG_LONG, sizes.data(), 1,
                        MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD),
          "MPI_Allgather");
    std::vector<int> counts(sizes.size());
    std::vector<int> offsets(sizes.size());
    unsigned long long total = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (total + sizes[i] > static_cast<unsigned long long>(INT32_MAX))
        throw Error("MPI_Allgatherv: the ranks' contributions exceed 2 GiB");
      counts[i] = static_cast<int>(sizes[i]);
      offsets[i] = static_cast<int>(total);
      total += sizes[i];
    }
    Bytes all(total);
    check(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, all.data(),
                         counts.data(), offsets.data(), MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    std::vector<Bytes> gathered;
    for (std::size_t i = 0; i < sizes.size(); ++i)
      gathered.emplace_back(all.begin() + offsets[i], all.begin() + offsets[i] + counts[i]);
    return gathered;
  }

  void send(int destination, Channel channel, Bytes bytes) override {
    release_delivered();
    Pending& pending = pending_.emplace_back();
    pending.length = bytes.size();
    pending.bytes = std::move(bytes);
    isend(&pending.length, sizeof pending.length, destination, channel, pending);
    for (std::size_t offset = 0; offset < pending.bytes.size(); offset += kPieceBytes) {
      isend(pending.bytes.data() + offset, std::min(kPieceBytes, pending.bytes.size() - offset),
            destination, channel, pending);
    }
  }

  std::optional<Message> try_receive(Channel channel) override {
    release_delivered();
    int arrived = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, tag_of(channel), MPI_COMM_WORLD, &arrived, &status),
          "MPI_Iprobe");
    if (!arrived)
      return std::nullopt;
    return receive_from(status.MPI_SOURCE, channel);
  }

  Message receive(Channel channel) override {
    MPI_Status status;
    check(MPI_Probe(MPI_ANY_SOURCE, tag_of(channel), MPI_COMM_WORLD, &status), "MPI_Probe");
    return receive_from(status.MPI_SOURCE, channel);
  }

  void wait_for_sends() override {
    for (Pending& pending : pending_) {
      check(MPI_Waitall(static_cast<int>(pending.requests.size()), pending.requests.data(),
                        MPI_STATUSES_IGNORE),
            "MPI_Waitall");
    }
    pending_.clear();
  }

  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this satisfies [[noreturn]]
  }

 private:
  struct Pending {
    std::uint64_t length = 0;  // sent first, as a piece of its own
    Bytes bytes;
    std::vector<MPI_Request> requests;
  };

  void isend(const void* data, std::size_t size, int destination, Channel channel,
             Pending& pending) {
    MPI_Request& request = pending.requests.emplace_back();
    check(MPI_Isend(data, static_cast<int>(size), MPI_BYTE, destination, tag_of(channel),
                    MPI_COMM_WORLD, &request),
          "MPI_Isend");
  }

  // A barrier that sleeps while it waits: MPI's own collectives spin, which on an oversubscribed
  // node takes the cores from the ranks that still work.
  void wait_for_everyone() {
    MPI_Request request;
    check(MPI_Ibarrier(MPI_COMM_WORLD, &request), "MPI_Ibarrier");
    for (int done = 0;;) {
      check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (done)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  Message receive_from(int source, Channel channel) {
    Message message;
    message.source = source;
    const Bytes first = receive_piece(source, channel);
    std::uint64_t length = 0;
    if (first.size() != sizeof length)
      throw Error("a message from rank " + std::to_string(source) + " has no length");
    std::memcpy(&length, first.data(), sizeof length);
    message.bytes.reserve(length);
    while (message.bytes.size() < length) {
      const Bytes piece = receive_piece(source, channel);
      message.bytes.insert(message.bytes.end(), piece.begin(), piece.end());
    }
    return message;
  }

  Bytes receive_piece(int source, Channel channel) {
    MPI_Status status;
    check(MPI_Probe(source, tag_of(channel), MPI_COMM_WORLD, &status), "MPI_Probe");
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    Bytes piece(static_cast<std::size_t>(count));
    check(MPI_Recv(piece.data(), count, MPI_BYTE, source, tag_of(channel), MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE),
          "MPI_Recv");
    return piece;
  }

  // Frees the buffers of sends that have been delivered, so memory follows what is in flight.
  void release_delivered() {
    pending_.remove_if([](Pending& pending) {
      int done = 0;
      MPI_Testall(static_cast<int>(pending.requests.size()), pending.requests.data(), &done,
                  MPI_STATUSES_IGNORE);
      return done != 0;
    });
  }

  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  std::list<Pending> pending_;  // a list: a buffer never moves while MPI reads it
};

}  // namespace

bool launched_as_mpi_job() {
  // Open MPI, MPICH/Hydra (PMI) and PMIx launchers set these in every rank's environment.
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(variable) != nullptr)
      return true;
  }
  return false;
}

std::unique_ptr<Communicator> make_mpi_communicator() {
  return std::make_unique<MpiCommunicator>();
}

}  // namespace kmlut::distributed
