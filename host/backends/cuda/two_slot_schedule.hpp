// The order in which the CUDA backend drives its two batch slots (BatchSlot), apart from the
// device so that the tests can check it with fake slots. Batch b goes through slot b % 2. Before
// the host stages batch b, batch b − 1's late phases are queued (finish_on_device: in the wave
// case it waits for b − 1's first phases and plans its DP from their point counts), so the device
// clusters b − 1 while the host stages b; the slot's previous batch b − 2 is collected just before
// its reuse.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace kmlut::cuda {

// Slot: holds_batch(), start(batch), finish_on_device(); collect(slot) takes a finished slot's
// results.
template <class Slot, class Batch, class Collect>
void run_through_two_slots(const std::vector<Batch>& batches, std::array<Slot, 2>& slots,
                           Collect&& collect) {
  for (std::size_t b = 0; b < batches.size(); ++b) {
    if (b > 0)
      slots[(b - 1) % 2].finish_on_device();
    Slot& slot = slots[b % 2];
    if (slot.holds_batch())
      collect(slot);
    slot.start(batches[b]);
  }
  if (!batches.empty())
    slots[(batches.size() - 1) % 2].finish_on_device();
  for (std::size_t b = batches.size() < 2 ? 0 : batches.size() - 2; b < batches.size(); ++b) {
    if (slots[b % 2].holds_batch())
      collect(slots[b % 2]);
  }
}

}  // namespace kmlut::cuda
