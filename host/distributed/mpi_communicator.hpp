// The Communicator of a job started by mpirun (Open MPI, MPICH): MPI is initialised when it is made
// and finalised when it is destroyed. Only mpi_communicator.cpp includes <mpi.h>, so nothing else
// in kmlut depends on an MPI installation.
#pragma once

#include <memory>

#include "host/distributed/communicator.hpp"

namespace kmlut::distributed {

// Whether this process was started by an MPI launcher as one rank of several (the launcher's
// environment says so), so that a plain `kmlut palettize` never initialises MPI.
bool launched_as_mpi_job();

// Initialises MPI (all MPI calls stay on the calling thread). Throws Error when it cannot.
std::unique_ptr<Communicator> make_mpi_communicator();

}  // namespace kmlut::distributed
