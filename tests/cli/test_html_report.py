#!/usr/bin/env python3
"""The HTML report (`palettize --html`, `kmlut report REPORT.json --html`) in a real browser:
headless Chromium parses the page and draws it. Checks, against the JSON report the pipeline wrote
(not against the renderer): the browser's DOM holds one SNR bar and one relative-error bar per
palettized tensor, in checkpoint order, with the report's values; the skipped tensors and their
reasons are listed; the page loads nothing from the network; the screenshot is a real picture
(not blank, and the tensor-group colours of the bars are drawn). A functional check, not a pixel
comparison.

Usage: test_html_report.py KMLUT_BINARY WORK_DIR
Exits 77 (skipped) without Chromium, unless KMLUT_REQUIRE_ORACLES=1 makes that a failure.
"""
import json
import math
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402
from cannot_run import cannot_run  # noqa: E402
from checks import FAILURES, check  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_CHECKPOINT = os.path.join(HERE, "..", "data", "make_checkpoint.py")

# Most weights palettized; the fusion block and the conv stem asked for groups that do not divide
# their rows, so they are skipped with a reason.
CONFIG = r"""
kmeans_palettization_config:
  global_config:
    op_state_spec: {weight: {n_bits: 4, granularity: {type: per_grouped_channel, group_size: 16}}}
  module_name_configs:
    '(fusion|vision)\..*':
      op_state_spec: {weight: {n_bits: 4, granularity: {type: per_grouped_channel, group_size: 48}}}
"""

GROUP_COLOURS = {"attention": (0x3B, 0x7D, 0xD8), "MLP": (0xE0, 0x8A, 0x2C)}


def run(*args):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
    return result.returncode


class PageReader(HTMLParser):
    """The bars (class, data-tensor, data-value), the skipped-table rows and anything that would
    load from elsewhere."""

    def __init__(self):
        super().__init__()
        self.bars = {}
        self.cells, self.in_cell = [], False
        self.external = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" or "src" in attrs or (tag == "link" and "href" in attrs):
            self.external.append((tag, attrs))
        classes = attrs.get("class", "").split()
        if tag == "rect" and "bar" in classes:
            kind = [c for c in classes if c != "bar"][0]
            self.bars.setdefault(kind, []).append((attrs.get("data-tensor"),
                                                   attrs.get("data-value")))
        self.in_cell = tag == "td"

    def handle_endtag(self, tag):
        if tag == "td":
            self.in_cell = False

    def handle_data(self, data):
        if self.in_cell:
            self.cells.append(data)


def read_page(text):
    reader = PageReader()
    reader.feed(text)
    return reader


def value(text):
    return math.inf if text == "inf" else float(text)


def check_page(page, report, label):
    palettized = [t for t in report["tensors"] if t["status"] == "palettized"]
    skipped = [t for t in report["tensors"] if t["status"] == "skipped"]
    check(len(palettized) > 10 and len(skipped) > 0, f"{label}: the workload has both kinds")
    names = [t["name"] for t in palettized]
    snr, rel = page.bars.get("snr", []), page.bars.get("rel-error", [])
    check([n for n, _ in snr] == names, f"{label}: one SNR bar per palettized tensor, in order "
                                        f"({len(snr)} bars, {len(names)} tensors)")
    check([n for n, _ in rel] == names, f"{label}: one relative-error bar per palettized tensor")
    for (name, shown), tensor in zip(rel, palettized):
        check(math.isclose(value(shown), tensor["rel_error"], rel_tol=1e-5),
              f"{label}: {name}: bar {shown} vs report rel_error {tensor['rel_error']}")
    for (name, shown), tensor in zip(snr, palettized):
        # SNR = 10·log10(ΣW² / SSE) and rel_error = sqrt(SSE / ΣW²).
        expected = -20 * math.log10(tensor["rel_error"])
        check(math.isclose(value(shown), expected, rel_tol=1e-5),
              f"{label}: {name}: SNR bar {shown} vs {expected:.6g}")
    for tensor in skipped:
        check(tensor["name"] in page.cells and tensor["reason"] in page.cells,
              f"{label}: skipped {tensor['name']} and its reason are listed")
    check(page.external == [], f"{label}: the page loads nothing: {page.external}")


def check_picture(png, label):
    image = browser.read_png(png)[:, :, :3].astype(int)
    check(image.shape[0] >= 600 and image.shape[1] >= 900, f"{label}: screenshot size {image.shape}")
    colours = len(np.unique(image.reshape(-1, 3)[::7], axis=0))
    check(colours > 20, f"{label}: the screenshot is blank ({colours} colours)")
    for group, rgb in GROUP_COLOURS.items():
        pixels = int(np.all(np.abs(image - np.array(rgb)) <= 2, axis=2).sum())
        check(pixels > 500, f"{label}: {pixels} pixels of the {group} bars' colour drawn")


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], os.path.abspath(sys.argv[2])
    if browser.chromium() is None:
        cannot_run("chromium is not installed (scripts/bootstrap.sh test, or apt-get install chromium)")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    model = os.path.join(work, "model.safetensors")
    subprocess.run([sys.executable, MAKE_CHECKPOINT, model], check=True)
    config = os.path.join(work, "config.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    report_path = os.path.join(work, "report.json")
    direct = os.path.join(work, "direct.html")
    check(run("palettize", model, os.path.join(work, "out.safetensors"), "--config", config,
              "--report", report_path, "--html", direct, "--quiet") == 0, "palettize exits 0")
    rendered = os.path.join(work, "rendered.html")
    check(run("report", report_path, "--html", rendered) == 0, "report exits 0")
    report = json.load(open(report_path))
    with open(direct) as a, open(rendered) as b:
        check(a.read() == b.read(), "palettize --html and report --html write the same page")
    check(run("report", config, "--html", os.path.join(work, "bad.html")) == 3,
          "a file that is not a report is invalid input (exit 3)")
    older = dict(report, tensors=[{k: v for k, v in t.items() if k not in ("bytes_in", "bytes_out")}
                                  for t in report["tensors"]])
    older_path = os.path.join(work, "older.json")
    with open(older_path, "w") as f:
        json.dump(older, f)
    older_page = os.path.join(work, "older.html")
    check(run("report", older_path, "--html", older_page) == 0 and
          "does not record bytes per tensor" in open(older_page).read(),
          "a report without per-tensor bytes renders, saying so")
    page = read_page(open(rendered).read())
    check(len(page.bars.get("group-bytes", [])) >= 6,
          "bytes before and after for at least three tensor groups")
    check_page(page, report, "served HTML")
    check_page(read_page(browser.dump_dom(rendered)), report, "Chromium's DOM")
    png = os.path.join(work, "report.png")
    browser.screenshot(rendered, png, 1040, 1400)
    check_picture(png, "Chromium's screenshot")
    print(f"{len(FAILURES)} failure(s)")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
