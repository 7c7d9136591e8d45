# KMLUT_MPI=AUTO uses MPI when CMake finds it (Open MPI, MPICH); ON requires it; OFF never looks.
# Only the kmlut_distributed library links it (host/distributed/); without it `kmlut palettize`
# runs as one process, as it always has.
set(KMLUT_HAVE_MPI OFF)
if(NOT KMLUT_MPI STREQUAL "OFF")
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    set(KMLUT_HAVE_MPI ON)
    find_program(KMLUT_MPIEXEC NAMES ${MPIEXEC_EXECUTABLE} mpirun mpiexec)
  elseif(KMLUT_MPI STREQUAL "ON")
    message(FATAL_ERROR "KMLUT_MPI=ON but no MPI was found (install libopenmpi-dev)")
  endif()
endif()
message(STATUS "kmlut: MPI ${KMLUT_HAVE_MPI} (KMLUT_MPI=${KMLUT_MPI})")
