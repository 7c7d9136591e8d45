// JSON has no NaN or infinity: the CLI's documents write such a value (an exact SNR, a relative
// error of a zero tensor) as null.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>

namespace kmlut::reporting {

// Json: nlohmann::json or nlohmann::ordered_json, whichever the document is built with.
template <class Json>
Json finite_or_null(double value) {
  return std::isfinite(value) ? Json(value) : Json();
}

}  // namespace kmlut::reporting
