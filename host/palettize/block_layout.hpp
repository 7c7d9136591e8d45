// Which elements of a tensor share one LUT (docs/architecture.md §5.5 step 3). For scalar
// palettization a block is a slab of `group_size` indices along the grouping axis of the tensor:
// rows (axis 0) or, for linear and conv weights alike, input channels (axis 1). A block is a set of
// equally long runs of consecutive elements, so it is walked without index arithmetic per element.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kmlut/spec.hpp"

namespace kmlut::palettize {

// The product of shape[begin, end): an element count.
inline std::uint64_t product(std::vector<std::int64_t>::const_iterator begin,
                             std::vector<std::int64_t>::const_iterator end) {
  std::uint64_t count = 1;
  for (; begin != end; ++begin)
    count *= static_cast<std::uint64_t>(*begin);
  return count;
}

struct BlockRuns {
  std::uint64_t first = 0;       // flat index of the first element
  std::uint64_t run_length = 0;  // consecutive elements per run
  std::uint64_t run_count = 0;
  std::uint64_t run_stride = 0;  // flat distance between the starts of two runs

  std::uint64_t size() const { return run_length * run_count; }

  template <class Visit>
  void for_each(Visit&& visit) const {
    for_each_between(0, size(), visit);
  }

  // Visits the block's elements at positions [begin, end) of its walk (position p is element p of
  // the runs laid end to end): a chunk of the block, for splitting one block across threads.
  template <class Visit>
  void for_each_between(std::uint64_t begin, std::uint64_t end, Visit&& visit) const {
    for_each_span_between(begin, end, [&](std::uint64_t start, std::uint64_t stop) {
      for (std::uint64_t i = start; i < stop; ++i)
        visit(i);
    });
  }

  // The same walk as contiguous spans: visit(start, stop) for flat elements [start, stop), in
  // order, at most one per run.
  template <class VisitSpan>
  void for_each_span_between(std::uint64_t begin, std::uint64_t end, VisitSpan&& visit) const {
    std::uint64_t run = begin / run_length;
    std::uint64_t offset = begin % run_length;
    for (std::uint64_t position = begin; position < end; ++run, offset = 0) {
      const std::uint64_t start = first + run * run_stride;
      const std::uint64_t stop = start + std::min(run_length, offset + (end - position));
      visit(start + offset, stop);
      position += stop - start - offset;
    }
  }
};

struct BlockLayout {
  std::vector<BlockRuns> blocks;
  // The LUT tensor's leading dimensions g_0 .. g_{r-1} (all 1 but the grouping axis).
  std::vector<std::int64_t> lut_grid;
  std::string skip_reason;  // non-empty: the spec does not fit the tensor, which stays dense
};

BlockLayout plan_scalar_blocks(const std::vector<std::int64_t>& shape,
                               const PalettizationSpec& spec);

}  // namespace kmlut::palettize
