# cmake -P script: install BUILD_DIR into a scratch prefix, then configure, build and run the
# consumer project against it.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "step failed (${result}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

run_step(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
run_step(${CMAKE_COMMAND} -S "${CONSUMER_SOURCE}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
         -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run_step(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run_step("${WORK_DIR}/build/consumer")
# The embedder's kmlut v1 file, decoded by the installed CLI, equals its own reconstruction.
run_step("${WORK_DIR}/build/embed_palettize" "${WORK_DIR}/embedded.safetensors"
         "${WORK_DIR}/expected.safetensors")
run_step("${prefix}/bin/kmlut" decode "${WORK_DIR}/embedded.safetensors"
         "${WORK_DIR}/decoded.safetensors")
run_step(${CMAKE_COMMAND} -E compare_files "${WORK_DIR}/decoded.safetensors"
         "${WORK_DIR}/expected.safetensors")
