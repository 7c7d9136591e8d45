// The two chart shapes of the HTML report, as inline SVG strings: columns (one per tensor, in
// order) and labelled horizontal bars. No scripts: tooltips are SVG <title> elements.
#pragma once

#include <string>
#include <vector>

namespace kmlut::reporting {

// Text for HTML element content and attribute values.
std::string html_escape(const std::string& text);

struct ColumnBar {
  std::string tensor;      // data-tensor and the tooltip
  std::string axis_label;  // shown under the column when it changes from the previous column
  double value = 0.0;      // +inf is drawn full height; negative values as zero height
  std::string value_text;  // the tooltip's value
  std::string color;
};

// One <rect class="bar CSS_CLASS" data-tensor=… data-value=…> per bar, on a y axis from 0 to a
// round number above the largest finite value, labelled in `unit`.
std::string column_chart(const std::vector<ColumnBar>& bars, const std::string& css_class,
                         const std::string& unit);

struct RowBar {
  std::string label;
  double value = 0.0;
  std::string value_text;
  std::string color;
};

// One labelled horizontal <rect class="bar CSS_CLASS"> per row, scaled to the largest value.
std::string row_chart(const std::vector<RowBar>& bars, const std::string& css_class);

}  // namespace kmlut::reporting
