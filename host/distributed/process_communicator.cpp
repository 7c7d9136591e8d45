#include "host/distributed/process_communicator.hpp"

#include <cstdlib>
#include <string>

#include "kmlut/error.hpp"

#if KMLUT_HAVE_MPI
#include "host/distributed/mpi_communicator.hpp"
#endif

namespace kmlut::distributed {
namespace {

// The job's size as Open MPI or an MPICH-style launcher (PMI) tells its ranks; 0 when neither does.
long launcher_world_size() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    if (const char* value = std::getenv(variable))
      return std::strtol(value, nullptr, 10);
  }
  return 0;
}

}  // namespace

std::unique_ptr<Communicator> communicator_for_this_process() {
#if KMLUT_HAVE_MPI
  if (launched_as_mpi_job())
    return make_mpi_communicator();
#endif
  if (launcher_world_size() > 1) {
    throw ConfigError(
        "started as one of " + std::to_string(launcher_world_size()) +
        " MPI ranks, but this kmlut was built without MPI (KMLUT_MPI=OFF or no MPI found); "
        "rebuild with KMLUT_MPI=ON or run a single process");
  }
  return nullptr;
}

}  // namespace kmlut::distributed
