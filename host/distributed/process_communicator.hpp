// Which communicator this process belongs to: an MPI job's when an MPI launcher (mpirun, srun,
// mpiexec) started it, else none, and the single-process pipeline runs as it always has.
#pragma once

#include <memory>

#include "host/distributed/communicator.hpp"

namespace kmlut::distributed {

// The MPI communicator when a launcher started this process, or nullptr. Throws ConfigError when
// a launcher started several ranks but this build has no MPI (KMLUT_MPI=OFF, or no MPI found),
// since each would then write the whole output on its own.
std::unique_ptr<Communicator> communicator_for_this_process();

}  // namespace kmlut::distributed
