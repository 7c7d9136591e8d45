#include "host/report/plan_json.hpp"

#include "host/report/spec_json.hpp"

namespace kmlut::reporting {
namespace {

using Json = nlohmann::ordered_json;

Json null_if_empty(const std::string& text) {
  return text.empty() ? Json() : Json(text);
}

Json job_to_json(const Job& job) {
  Json entry;
  entry["tensor"] = job.tensor;
  entry["shape"] = job.shape;
  entry["dtype"] = std::string(dtype_name(job.dtype));
  entry["module"] = job.module;
  entry["module_type"] = job.module_type;
  entry["op"] = null_if_empty(job.op);
  entry["op_type"] = null_if_empty(job.op_type);
  entry["state"] = job.state;
  entry["spec"] = spec_json(job.spec);
  entry["enable_fast_kmeans_mode"] = job.enable_fast_kmeans_mode;
  entry["rounding_precision"] = job.rounding_precision;
  entry["decided_by"] = job.decided_by;
  return entry;
}

}  // namespace

nlohmann::ordered_json plan_to_json(const Plan& plan,
                                    const std::vector<std::string>& ignored_keys) {
  Json document;
  document["jobs"] = Json::array();
  for (const Job& job : plan.jobs)
    document["jobs"].push_back(job_to_json(job));
  document["ignored_keys"] = ignored_keys;
  return document;
}

}  // namespace kmlut::reporting
