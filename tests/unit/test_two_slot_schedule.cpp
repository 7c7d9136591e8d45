// The CUDA backend's order of slot calls (host/backends/cuda/two_slot_schedule.hpp) with fake
// slots that log each call: every batch is started, finished and collected once, in that order;
// a slot is collected before it takes a new batch; and batch b − 1's late phases are queued
// before batch b is staged.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "host/backends/cuda/two_slot_schedule.hpp"

namespace {

struct Call {
  std::string what;  // start, finish, collect
  int batch;
};

class FakeSlot {
 public:
  explicit FakeSlot(std::vector<Call>& log) : log_(&log) {}
  bool holds_batch() const { return batch_ >= 0; }
  void start(int batch) {
    ASSERT_FALSE(holds_batch()) << "batch " << batch << " given to a slot still holding one";
    batch_ = batch;
    log_->push_back({"start", batch});
  }
  void finish_on_device() { log_->push_back({"finish", batch_}); }
  void collect() {
    log_->push_back({"collect", batch_});
    batch_ = -1;
  }

 private:
  std::vector<Call>* log_;
  int batch_ = -1;
};

// The position of each call in the log, per batch; every call must appear once per batch.
std::map<std::string, std::vector<std::size_t>> positions(const std::vector<Call>& log,
                                                          int batches) {
  std::map<std::string, std::vector<std::size_t>> at;
  for (const char* what : {"start", "finish", "collect"})
    at[what].assign(static_cast<std::size_t>(batches), log.size());
  for (std::size_t i = 0; i < log.size(); ++i) {
    auto& slot = at.at(log[i].what)[static_cast<std::size_t>(log[i].batch)];
    EXPECT_EQ(slot, log.size()) << log[i].what << " of batch " << log[i].batch << " twice";
    slot = i;
  }
  return at;
}

TEST(TwoSlotSchedule, LatePhasesOfTheLastBatchAreQueuedBeforeTheNextIsStaged) {
  for (int batches = 0; batches <= 6; ++batches) {
    SCOPED_TRACE(std::to_string(batches) + " batches");
    std::vector<Call> log;
    std::array<FakeSlot, 2> slots{FakeSlot(log), FakeSlot(log)};
    std::vector<int> ids;
    for (int b = 0; b < batches; ++b)
      ids.push_back(b);
    kmlut::cuda::run_through_two_slots(ids, slots, [](FakeSlot& slot) { slot.collect(); });
    ASSERT_EQ(log.size(), 3u * static_cast<std::size_t>(batches));
    auto at = positions(log, batches);
    for (std::size_t b = 0; b < static_cast<std::size_t>(batches); ++b) {
      EXPECT_LT(at["start"][b], at["finish"][b]) << b;
      EXPECT_LT(at["finish"][b], at["collect"][b]) << b;
      if (b >= 1) {
        EXPECT_LT(at["finish"][b - 1], at["start"][b]) << b;
      }
      if (b >= 2) {
        EXPECT_LT(at["collect"][b - 2], at["start"][b]) << b;
      }
    }
    EXPECT_FALSE(slots[0].holds_batch());
    EXPECT_FALSE(slots[1].holds_batch());
  }
}

}  // namespace
