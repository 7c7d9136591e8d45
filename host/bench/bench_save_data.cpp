#include "host/bench/bench_save_data.hpp"

#include "host/bench/bench_report.hpp"
#include "host/report/spec_json.hpp"
#include "kmlut/safetensors_writer.hpp"

namespace kmlut::bench {

std::filesystem::path save_workload_data(const Workload& workload,
                                         const std::filesystem::path& directory) {
  if (workload.tensors.empty())
    return {};
  std::filesystem::create_directories(directory);
  nlohmann::ordered_json cases = nlohmann::ordered_json::array();
  for (const BenchCase& bench_case : workload.cases) {
    cases.push_back({{"name", bench_case.name},
                     {"tensors", bench_case.tensors},
                     {"spec", reporting::spec_json(bench_case.spec)},
                     {"fast_mode", bench_case.fast_mode}});
  }
  std::vector<OutputTensor> layout;
  for (const BenchTensor& tensor : workload.tensors)
    layout.push_back({tensor.name, tensor.dtype, tensor.shape});
  const std::filesystem::path path = directory / (workload.name + ".safetensors");
  SafetensorsWriter writer(path, layout,
                           {{"format", "pt"},
                            {"kmlut.bench.workload", workload.name},
                            {"kmlut.bench.source", workload.source},
                            {"kmlut.bench.cases", cases.dump()}});
  for (const BenchTensor& tensor : workload.tensors)
    writer.write(tensor.name, {tensor.bytes.data(), tensor.bytes.size()});
  writer.commit();
  return path;
}

}  // namespace kmlut::bench
