#include "host/report/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kmlut::reporting {
namespace {

constexpr double kWidth = 960;
constexpr double kColumnHeight = 230;
constexpr double kLeft = 62;
constexpr double kRight = 10;
constexpr double kTop = 12;
constexpr double kBottom = 34;
constexpr double kRowHeight = 22;
constexpr double kRowLabelWidth = 170;
constexpr double kMinLabelGap = 24;  // px between two axis labels

std::string fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

std::string data_value(double value) {
  if (!std::isfinite(value))
    return value > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

// The smallest of 1, 2, 2.5, 5 × 10^k at or above `value`.
double round_up(double value) {
  const double base = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 2.5, 5.0}) {
    if (step * base >= value)
      return step * base;
  }
  return 10.0 * base;
}

// A y axis from 0 in round steps, about four of them, up to at least the largest finite value.
struct Axis {
  double step = 0.25;
  int ticks = 4;
  double top() const { return step * ticks; }
};

Axis axis_for(const std::vector<ColumnBar>& bars) {
  double largest = 0.0;
  for (const ColumnBar& bar : bars) {
    if (std::isfinite(bar.value))
      largest = std::max(largest, bar.value);
  }
  if (!(largest > 0))
    return {};
  Axis axis;
  axis.step = round_up(largest / 4);
  axis.ticks = std::max(1, static_cast<int>(std::ceil(largest / axis.step - 1e-9)));
  return axis;
}

std::string y_axis(const Axis& axis, const std::string& unit) {
  const double plot_height = kColumnHeight - kTop - kBottom;
  std::string svg;
  for (int tick = 0; tick <= axis.ticks; ++tick) {
    const double y = kTop + plot_height * (1.0 - static_cast<double>(tick) / axis.ticks);
    char label[32];
    std::snprintf(label, sizeof label, "%g", axis.step * tick);
    svg += "<line x1=\"" + fixed(kLeft) + "\" x2=\"" + fixed(kWidth - kRight) + "\" y1=\"" +
           fixed(y) + "\" y2=\"" + fixed(y) + "\" stroke=\"#e3e3e3\"/>";
    svg += "<text x=\"" + fixed(kLeft - 6) + "\" y=\"" + fixed(y + 4) + "\" text-anchor=\"end\">" +
           label + (tick == axis.ticks && !unit.empty() ? " " + html_escape(unit) : "") +
           "</text>\n";
  }
  return svg;
}

std::string column(const ColumnBar& bar, const std::string& css_class, double x, double width,
                   double top) {
  const double plot_height = kColumnHeight - kTop - kBottom;
  const double share = bar.value > 0 ? std::min(bar.value / top, 1.0) : 0.0;
  const double height = plot_height * share;
  return "<rect class=\"bar " + css_class + "\" data-tensor=\"" + html_escape(bar.tensor) +
         "\" data-value=\"" + data_value(bar.value) + "\" x=\"" + fixed(x) + "\" y=\"" +
         fixed(kTop + plot_height - height) + "\" width=\"" + fixed(width) + "\" height=\"" +
         fixed(height) + "\" fill=\"" + bar.color + "\"><title>" + html_escape(bar.tensor) + ": " +
         html_escape(bar.value_text) + "</title></rect>\n";
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string column_chart(const std::vector<ColumnBar>& bars, const std::string& css_class,
                         const std::string& unit) {
  const Axis axis = axis_for(bars);
  const double slot =
      (kWidth - kLeft - kRight) / static_cast<double>(std::max<std::size_t>(bars.size(), 1));
  const double width = std::max(slot * 0.8, 1.0);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart " + css_class +
                    "\" width=\"" + fixed(kWidth) + "\" height=\"" + fixed(kColumnHeight) +
                    "\" viewBox=\"0 0 " + fixed(kWidth) + " " + fixed(kColumnHeight) + "\">\n" +
                    y_axis(axis, unit);
  double last_label_x = -kMinLabelGap;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double x = kLeft + slot * static_cast<double>(i) + (slot - width) / 2;
    svg += column(bars[i], css_class, x, width, axis.top());
    const bool new_label =
        !bars[i].axis_label.empty() && (i == 0 || bars[i].axis_label != bars[i - 1].axis_label);
    if (new_label && x - last_label_x >= kMinLabelGap) {
      svg += "<text x=\"" + fixed(x) + "\" y=\"" + fixed(kColumnHeight - kBottom + 14) + "\">" +
             html_escape(bars[i].axis_label) + "</text>\n";
      last_label_x = x;
    }
  }
  svg += "<text x=\"" + fixed(kLeft) + "\" y=\"" + fixed(kColumnHeight - 4) +
         "\">layer (hover a bar for its tensor)</text>\n";
  return svg + "</svg>\n";
}

std::string row_chart(const std::vector<RowBar>& bars, const std::string& css_class) {
  double largest = 0.0;
  for (const RowBar& bar : bars)
    largest = std::max(largest, bar.value);
  const double height = kRowHeight * static_cast<double>(bars.size()) + 4;
  const double span = kWidth - kRowLabelWidth - 110;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart " + css_class +
                    "\" width=\"" + fixed(kWidth) + "\" height=\"" + fixed(height) +
                    "\" viewBox=\"0 0 " + fixed(kWidth) + " " + fixed(height) + "\">\n";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const RowBar& bar = bars[i];
    const double y = kRowHeight * static_cast<double>(i) + 2;
    const double length = largest > 0 ? span * std::max(bar.value, 0.0) / largest : 0.0;
    svg += "<text x=\"" + fixed(kRowLabelWidth - 8) + "\" y=\"" + fixed(y + 14) +
           "\" text-anchor=\"end\">" + html_escape(bar.label) + "</text>";
    svg += "<rect class=\"bar " + css_class + "\" data-label=\"" + html_escape(bar.label) +
           "\" x=\"" + fixed(kRowLabelWidth) + "\" y=\"" + fixed(y + 2) + "\" width=\"" +
           fixed(length) + "\" height=\"" + fixed(kRowHeight - 6) + "\" fill=\"" + bar.color +
           "\"/>";
    svg += "<text x=\"" + fixed(kRowLabelWidth + length + 6) + "\" y=\"" + fixed(y + 14) + "\">" +
           html_escape(bar.value_text) + "</text>\n";
  }
  return svg + "</svg>\n";
}

}  // namespace kmlut::reporting
