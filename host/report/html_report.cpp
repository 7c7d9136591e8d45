#include "host/report/html_report.hpp"

#include <re2/re2.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

#include "host/report/svg_chart.hpp"
#include "host/report/tensor_group.hpp"
#include "host/report/text_table.hpp"
#include "kmlut/error.hpp"

namespace kmlut::reporting {
namespace {

using Json = nlohmann::json;

struct TensorRow {
  std::string name;
  std::string status;
  std::string reason;
  TensorGroup group = TensorGroup::Other;
  std::optional<double> rel_error;  // palettized tensors; null in the report = not finite
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
};

const char* group_color(TensorGroup group) {
  switch (group) {
    case TensorGroup::Embeddings:
      return "#8e6cc7";
    case TensorGroup::Attention:
      return "#3b7dd8";
    case TensorGroup::Mlp:
      return "#e08a2c";
    case TensorGroup::Other:
      break;
  }
  return "#5f9e57";
}

std::string number(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string text_or(const Json& value, const std::string& fallback) {
  return value.is_string() ? value.get<std::string>() : fallback;
}

std::vector<TensorRow> read_rows(const Json& report) {
  std::vector<TensorRow> rows;
  for (const Json& tensor : report.at("tensors")) {
    TensorRow row;
    row.name = tensor.at("name").get<std::string>();
    row.status = tensor.at("status").get<std::string>();
    row.reason = text_or(tensor.value("reason", Json()), "");
    row.group = tensor_group(row.name);
    if (row.status == "palettized" && tensor.at("rel_error").is_number())
      row.rel_error = tensor.at("rel_error").get<double>();
    // Reports written before kmlut recorded bytes per tensor lack them.
    row.bytes_in = tensor.value("bytes_in", std::uint64_t{0});
    row.bytes_out = tensor.value("bytes_out", std::uint64_t{0});
    rows.push_back(std::move(row));
  }
  return rows;
}

// SNR = 10·log10(ΣW² / SSE) = −20·log10(‖W − Ŵ‖/‖W‖): the report's relative error says it all.
double snr_db(const TensorRow& row) {
  if (!row.rel_error)
    return -std::numeric_limits<double>::infinity();
  return *row.rel_error > 0 ? -20.0 * std::log10(*row.rel_error)
                            : std::numeric_limits<double>::infinity();
}

// "12" for "model.layers.12.mlp.up_proj.weight": where the x axis of the bar charts gets a label.
std::string layer_of(const std::string& name) {
  static const RE2 pattern(R"(\.(\d+)\.)");
  std::string layer;
  RE2::PartialMatch(name, pattern, &layer);
  return layer;
}

std::vector<ColumnBar> error_bars(const std::vector<TensorRow>& rows, bool snr) {
  std::vector<ColumnBar> bars;
  for (const TensorRow& row : rows) {
    if (row.status != "palettized")
      continue;
    ColumnBar bar;
    bar.tensor = row.name;
    bar.axis_label = layer_of(row.name);
    bar.color = group_color(row.group);
    bar.value = snr ? snr_db(row) : row.rel_error.value_or(std::numeric_limits<double>::infinity());
    bar.value_text = snr ? (std::isfinite(bar.value) ? number("%.2f dB", bar.value) : "exact")
                         : number("%.3e", bar.value);
    bars.push_back(std::move(bar));
  }
  return bars;
}

std::string legend() {
  std::string html = "<p class=\"legend\">";
  for (TensorGroup group : kTensorGroups) {
    html += "<span><i style=\"background:" + std::string(group_color(group)) + "\"></i>" +
            std::string(tensor_group_name(group)) + "</span>";
  }
  return html + "</p>\n";
}

std::string summary_section(const Json& report, const std::vector<TensorRow>& rows) {
  const Json& summary = report.at("summary");
  const auto bytes_in = summary.at("bytes_in").get<std::uint64_t>();
  const auto bytes_out = summary.at("bytes_out").get<std::uint64_t>();
  const std::size_t count = rows.size();
  std::string html = "<section id=\"summary\">\n<dl>\n";
  const auto item = [&html](const std::string& term, const std::string& value) {
    html += "<dt>" + html_escape(term) + "</dt><dd>" + html_escape(value) + "</dd>\n";
  };
  item("model", text_or(report.value("model", Json()), "(not recorded)"));
  item("config", text_or(report.value("config", Json()), "(not recorded)"));
  item("backend", report.at("backend").get<std::string>() + " — " +
                      text_or(report.value("device", Json()), "unknown device"));
  item("time", number("%.2f s", report.at("seconds").get<double>()));
  item("size", format_bytes(bytes_in) + " → " + format_bytes(bytes_out) +
                   (bytes_out > 0 ? number(" (%.2f× smaller)", static_cast<double>(bytes_in) /
                                                                   static_cast<double>(bytes_out))
                                  : ""));
  item("tensors", std::to_string(summary.at("palettized").get<std::size_t>()) + " palettized, " +
                      std::to_string(summary.at("skipped").get<std::size_t>()) + " skipped, " +
                      std::to_string(summary.at("copied").get<std::size_t>()) + " copied of " +
                      std::to_string(count));
  item("kmlut", text_or(report.value("kmlut_version", Json()), "unknown version"));
  return html + "</dl>\n</section>\n";
}

std::string error_section(const std::vector<TensorRow>& rows) {
  const std::vector<ColumnBar> snr = error_bars(rows, true);
  std::string html =
      "<section id=\"error\">\n<h2>Error per palettized tensor, in checkpoint order</h2>\n";
  if (snr.empty())
    return html + "<p>No tensor was palettized.</p>\n</section>\n";
  html += legend();
  html += "<h3>SNR (dB, higher is better)</h3>\n" + column_chart(snr, "snr", "dB");
  html += "<h3>Relative error ‖W − Ŵ‖ / ‖W‖ (lower is better)</h3>\n" +
          column_chart(error_bars(rows, false), "rel-error", "");
  return html + "</section>\n";
}

std::string bytes_section(const std::vector<TensorRow>& rows) {
  std::vector<RowBar> bars;
  for (TensorGroup group : kTensorGroups) {
    std::uint64_t before = 0;
    std::uint64_t after = 0;
    for (const TensorRow& row : rows) {
      if (row.group != group)
        continue;
      before += row.bytes_in;
      after += row.bytes_out;
    }
    if (before == 0)
      continue;
    const std::string name(tensor_group_name(group));
    bars.push_back(
        {name + " before", static_cast<double>(before), format_bytes(before), "#b8b8b8"});
    bars.push_back(
        {name + " after", static_cast<double>(after), format_bytes(after), group_color(group)});
  }
  const std::string heading =
      "<section id=\"bytes\">\n<h2>Bytes by tensor group, before and after</h2>\n";
  if (bars.empty())
    return heading + "<p>This report does not record bytes per tensor.</p>\n</section>\n";
  return heading + row_chart(bars, "group-bytes") + "</section>\n";
}

std::string phases_section(const Json& report) {
  const Json& phases = report.at("phases");
  std::vector<RowBar> bars;
  const auto add = [&](const std::string& label, double seconds) {
    bars.push_back({label, seconds, number("%.3f s", seconds), "#3b7dd8"});
  };
  add("read and check", phases.at("read_seconds").get<double>());
  add("cluster", phases.at("cluster_seconds").get<double>());
  add("write", phases.at("write_seconds").get<double>());
  add("total", report.at("seconds").get<double>());
  return "<section id=\"phases\">\n<h2>Time per phase</h2>\n" + row_chart(bars, "phase") +
         "<p class=\"note\">Writing overlaps clustering, so the phases may add up to more than "
         "the total.</p>\n</section>\n";
}

std::string skipped_section(const std::vector<TensorRow>& rows) {
  std::string html = "<section id=\"skipped\">\n<h2>Skipped tensors</h2>\n";
  std::string body;
  for (const TensorRow& row : rows) {
    if (row.status == "skipped")
      body += "<tr><td>" + html_escape(row.name) + "</td><td>" + html_escape(row.reason) +
              "</td></tr>\n";
  }
  if (body.empty())
    return html + "<p>None: every tensor the config selected was palettized.</p>\n</section>\n";
  return html + "<table>\n<tr><th>tensor</th><th>reason</th></tr>\n" + body +
         "</table>\n</section>\n";
}

const char* kStyle =
    R"(body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:24px 0 8px}h3{font-size:14px;margin:12px 0 4px;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{color:#666}dd{margin:0}
.legend span{margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 10px 3px 0;text-align:left}
svg text{font:11px system-ui,sans-serif;fill:#444}.note{color:#666;font-size:12px})";

}  // namespace

std::string render_html_report(const nlohmann::json& report) {
  try {
    const std::vector<TensorRow> rows = read_rows(report);
    const std::string model = text_or(report.value("model", Json()), "checkpoint");
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>kmlut "
           "report: " +
           html_escape(model) + "</title>\n<style>\n" + kStyle +
           "\n</style>\n</head>\n<body>\n<h1>kmlut palettization report</h1>\n" +
           summary_section(report, rows) + error_section(rows) + bytes_section(rows) +
           phases_section(report) + skipped_section(rows) + "</body>\n</html>\n";
  } catch (const nlohmann::json::exception& error) {
    throw InputError(std::string("not a kmlut palettize report: ") + error.what());
  }
}

}  // namespace kmlut::reporting
