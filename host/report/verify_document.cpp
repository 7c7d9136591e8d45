#include "host/report/verify_document.hpp"

#include "host/report/json_number.hpp"

namespace kmlut::reporting {
namespace {

using Json = nlohmann::ordered_json;

Json stats_json(const ErrorStats& stats) {
  return {{"rel_error", finite_or_null<Json>(stats.rel_error())},
          {"snr_db", finite_or_null<Json>(stats.snr_db())},
          {"max_abs_error", finite_or_null<Json>(stats.max_abs_error)},
          {"sse", finite_or_null<Json>(stats.sse)},
          {"numel", stats.numel}};
}

Json tensor_json(const TensorVerification& tensor) {
  Json entry{{"name", tensor.name},
             {"shape", tensor.shape},
             {"dtype", std::string(dtype_name(tensor.dtype))},
             {"status", verification_status(tensor)},
             {"identical", tensor.identical}};
  const Json stats = tensor.values_compared ? stats_json(tensor.error) : Json();
  for (const char* key : {"rel_error", "snr_db", "max_abs_error", "sse"}) {
    entry[key] = tensor.values_compared ? stats[key] : Json();
  }
  return entry;
}

}  // namespace

std::string verification_status(const TensorVerification& tensor) {
  return tensor.palettized ? "palettized" : "copied";
}

nlohmann::ordered_json verify_document(const VerifyReport& report) {
  Json document;
  document["tensors"] = Json::array();
  for (const TensorVerification& tensor : report.tensors)
    document["tensors"].push_back(tensor_json(tensor));
  document["summary"] = {{"tensors", report.tensors.size()},
                         {"palettized", report.palettized_count},
                         {"copied", report.tensors.size() - report.palettized_count},
                         {"total", stats_json(report.total)},
                         {"palettized_total", stats_json(report.palettized_total)}};
  return document;
}

}  // namespace kmlut::reporting
