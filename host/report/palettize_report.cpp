#include "host/report/palettize_report.hpp"

#include <nlohmann/json.hpp>

#include "host/report/json_number.hpp"
#include "host/report/spec_json.hpp"
#include "kmlut/report.hpp"
#include "kmlut/version.hpp"

namespace kmlut {
namespace {

using Json = nlohmann::ordered_json;

const char* status_name(TensorStatus status) {
  switch (status) {
    case TensorStatus::Palettized:
      return "palettized";
    case TensorStatus::Skipped:
      return "skipped";
    case TensorStatus::Copied:
      break;
  }
  return "copied";
}

Json tensor_entry(const TensorReport& tensor) {
  Json entry;
  entry["name"] = tensor.name;
  entry["shape"] = tensor.shape;
  entry["dtype"] = std::string(dtype_name(tensor.dtype));
  entry["status"] = status_name(tensor.status);
  entry["reason"] = tensor.reason.empty() ? Json() : Json(tensor.reason);
  entry["spec"] = reporting::spec_json(tensor.spec);
  entry["fast_mode"] = tensor.spec ? Json(tensor.fast_mode) : Json();
  const bool done = tensor.status == TensorStatus::Palettized;
  entry["num_luts"] = done ? Json(tensor.num_luts) : Json();
  entry["sse"] = done ? reporting::finite_or_null<Json>(tensor.sse) : Json();
  entry["rel_error"] = done ? reporting::finite_or_null<Json>(tensor.rel_error) : Json();
  entry["lloyd_iterations"] = done ? Json(tensor.lloyd_iterations) : Json();
  entry["seconds"] = done ? reporting::finite_or_null<Json>(tensor.seconds) : Json();
  entry["bytes_in"] = tensor.bytes_in;
  entry["bytes_out"] = tensor.bytes_out;
  return entry;
}

}  // namespace

nlohmann::ordered_json palettize_report_document(const PipelineReport& report,
                                                 const std::string& device) {
  Json document;
  document["kmlut_version"] = kVersion;
  document["backend"] = report.backend;
  document["device"] = device;
  document["seconds"] = report.seconds;
  const BackendPhaseSeconds& inside = report.cluster_phases;
  document["phases"] = {{"read_seconds", report.read_seconds},
                        {"cluster_seconds", report.cluster_seconds},
                        {"write_seconds", report.write_seconds},
                        {"cluster_block_seconds",
                         {{"unique_seconds", inside.unique},
                          {"solve_seconds", inside.solve},
                          {"assign_seconds", inside.assign},
                          {"pack_seconds", inside.pack}}}};
  document["tensors"] = Json::array();
  for (const TensorReport& tensor : report.tensors)
    document["tensors"].push_back(tensor_entry(tensor));
  document["summary"] = {{"palettized", report.count(TensorStatus::Palettized)},
                         {"skipped", report.count(TensorStatus::Skipped)},
                         {"copied", report.count(TensorStatus::Copied)},
                         {"bytes_in", report.bytes_in},
                         {"bytes_out", report.bytes_out}};
  return document;
}

std::string palettize_report_json(const PipelineReport& report, const std::string& device) {
  return palettize_report_document(report, device).dump(2) + "\n";
}

}  // namespace kmlut
