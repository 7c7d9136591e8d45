// KMLUT_HD marks arithmetic that the CPU backend and the CUDA kernels share: the CPU tests then
// exercise exactly the code the kernels run.
#pragma once

#if defined(__CUDACC__)
#define KMLUT_HD __host__ __device__
#else
#define KMLUT_HD
#endif
