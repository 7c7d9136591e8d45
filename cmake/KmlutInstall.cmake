# Install rules: headers, the library, the CLI and a package config for find_package(kmlut).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# numeric/ holds the host/device arithmetic the backends and kernels share (DP workspaces, bit
# packing, rounding tables): implementation, not API, so it is not installed.
install(DIRECTORY include/kmlut DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} PATTERN numeric EXCLUDE)
# A CUDA build compiles the CUDA backend into kmlut itself (kernels/CMakeLists.txt); its
# consumers then also need the CUDA toolkit's runtime (kmlutConfig.cmake finds it).
install(TARGETS kmlut EXPORT kmlutTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(KMLUT_BUILD_CLI)
  install(TARGETS kmlut_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT kmlutTargets NAMESPACE kmlut:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kmlut)
configure_package_config_file(cmake/kmlutConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/kmlutConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kmlut)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/kmlutConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kmlutConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/kmlutConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kmlut)

# kmlut.pc for pkg-config users (C and C++), relocatable: its prefix is found from its own place.
file(RELATIVE_PATH KMLUT_PC_PREFIX_FROM_PCFILEDIR "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
set(KMLUT_PC_CUDA_LIBS "")
if(KMLUT_HAVE_CUDA)
  set(KMLUT_PC_CUDA_LIBS "-L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -ldl -lrt")
endif()
configure_file(cmake/kmlut.pc.in ${CMAKE_CURRENT_BINARY_DIR}/kmlut.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kmlut.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
