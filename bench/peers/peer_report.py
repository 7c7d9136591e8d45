"""The peers' results: derived columns (throughput, kmlut's speed-up, SSE against the optimum),
one Markdown table, the JSON of every raw number, and the throughput-against-size plot."""

import json


def finish_rows(rows, kmlut_seconds, optimum):
    """Adds weights_per_second, kmlut_speedup and sse_ratio to the rows of one case."""
    for row in rows:
        seconds = row.get("seconds")
        if not seconds:
            continue
        row["weights_per_second"] = row["weights"] / seconds
        if kmlut_seconds and not row.get("is_kmlut"):
            row["kmlut_speedup"] = seconds / kmlut_seconds
        sse = row.get("sse")
        if sse is None:
            continue
        if row.get("sse_scope"):
            reference = row.get("sse_reference")
            row["sse_ratio"] = sse / reference if reference else None
        elif optimum:
            row["sse_ratio"] = sse / optimum


def rate(value):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}/s"
    return f"{value:.3g} /s"


def cells(row):
    seconds = row.get("seconds")
    if not seconds:
        return [row.get("status", "n/a"), "", "", "", "", row.get("notes", "")]
    mark = " (E)" if row.get("extrapolated") else ""
    speedup = row.get("kmlut_speedup")
    per_iteration = row.get("seconds_per_iteration")
    ratio = row.get("sse_ratio")
    if ratio is not None:
        sse = f"{ratio:.4f}" + (" (S)" if row.get("sse_scope") else "") + \
            (" (F)" if row.get("subsample_fit") else "")
    else:
        sse = "n/a" if row.get("sse") is None or row.get("sse_scope") else "—"
    notes = "; ".join(x for x in (row.get("extrapolated") and f"timed on {row['extrapolated']}",
                                  row.get("sse_scope") and f"SSE on {row['sse_scope']}",
                                  row.get("iterations") and
                                  f"{row['iterations']:.0f} iterations",
                                  row.get("notes")) if x)
    return [f"{seconds:.3f}{mark}", rate(row["weights_per_second"]),
            f"{speedup:.1f}×" if speedup else "",
            f"{per_iteration * 1e3:.2f} ms" if per_iteration else "", sse, notes]


def markdown_table(cases):
    header = ["workload", "case", "tool", "seconds", "weights/s", "kmlut faster by",
              "time / iteration", "SSE / optimum", "notes"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for case in cases:
        for row in case["rows"]:
            values = [case["workload"], f"{case['case']}: {case['description']}", row["tool"]]
            values += cells(row)
            lines.append("| " + " | ".join(str(v).replace("|", "/") for v in values) + " |")
    return "\n".join(lines)


def short(value):
    """Three significant digits below 100, whole numbers with separators above."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def summary_cell(row):
    """'12.5 s (E) · 32× · 1.000 (S)': seconds, kmlut's speed-up, SSE / optimum."""
    if not row.get("seconds"):
        status = row.get("status", "n/a")
        return "n/a (1-D only)" if status.startswith("not applicable") else status
    parts = [f"{short(row['seconds'])} s" + (" (E)" if row.get("extrapolated") else "")]
    if row.get("kmlut_speedup"):
        parts.append(f"{short(row['kmlut_speedup'])}×")
    ratio = row.get("sse_ratio")
    if ratio is not None:
        parts.append(f"{ratio:.3f}" + (" (S)" if row.get("sse_scope") else "") +
                     (" (F)" if row.get("subsample_fit") else ""))
    return " · ".join(parts)


def summary_table(cases):
    """One row per case, one column per tool."""
    tools = []
    for case in cases:
        for row in case["rows"]:
            if row["tool"] not in tools:
                tools.append(row["tool"])
    lines = ["| case | " + " | ".join(tools) + " |", "|" + "---|" * (len(tools) + 1)]
    for case in cases:
        by_tool = {row["tool"]: row for row in case["rows"]}
        cells = [summary_cell(by_tool[t]) if t in by_tool else "" for t in tools]
        lines.append(f"| {case['workload']} {case['case']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_report(results):
    machine = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    missing = [f"{k}: {v}" for k, v in results["install_status"].items() if v]
    lines = [
        f"# kmlut against its peers ({results['mode']})",
        "",
        f"- date {machine['date']}; {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_gib']} GiB; {machine['os']}",
        f"- commit {machine['git_commit']}; kmlut binary {results['kmlut_binary']}",
        f"- threads: {results['threads']} for every tool; Python {machine['python']}: {versions}",
        f"- load average at start {machine['load_average_start'][0]:.2f}, at end "
        f"{results['load_average_end'][0]:.2f} (1 min)",
        f"- command: `{results['command']}`",
        f"- kmlut: `kmlut bench` median of {results['repeat']} runs after 1 warm-up; peers: one "
        f"run, budget {results['budget']} s per tool and case (coremltools: cap {results['cap']} s)",
    ]
    if missing:
        lines.append("- not installed: " + "; ".join(missing))
    lines += [
        "",
        "Summary: seconds · how many times slower than kmlut · SSE / optimum.",
        "",
        summary_table(results["cases"]),
        "",
        "Every row:",
        "",
        markdown_table(results["cases"]),
        "",
        "kmlut faster by = the tool's seconds / kmlut's seconds on the same case. SSE / optimum: "
        "Σ(W−Ŵ)² over the original values (float64, LUT cast to the weight dtype) divided by the "
        "optimum: for scalar cases kmlut's exact result (coreai_opt's fast-mode optimum; a tool "
        "clustering the raw values can land a hair below 1), for vector cases the best SSE any "
        "tool reached on the whole case. (E) time extrapolated from the part that ran; (S) SSE "
        "ratio on the blocks that ran, against their exact optimum; (F) centroids fit on a "
        "subsample, every point assigned to the nearest.",
    ]
    if results.get("plot"):
        lines += ["", f"![throughput against size]({results['plot']})"]
    return "\n".join(lines) + "\n"


def write_plot(sweep, path, title):
    """Weights/s against weights, one line per tool; hollow markers for extrapolated points."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(8, 5))
    for tool, points in sweep.items():
        points = sorted((p for p in points if p.get("weights_per_second")),
                        key=lambda p: p["weights"])
        if not points:
            continue
        x = [p["weights"] for p in points]
        y = [p["weights_per_second"] for p in points]
        line, = axes.plot(x, y, "-", label=tool)
        for p in points:
            axes.plot(p["weights"], p["weights_per_second"], "o", color=line.get_color(),
                      markerfacecolor="none" if p.get("extrapolated") else line.get_color())
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("weights in the tensor")
    axes.set_ylabel("weights palettized per second")
    axes.set_title(title + "\nfilled: measured on the whole tensor; hollow: extrapolated from a part",
                   fontsize=9)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="center right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_json(results, path):
    with open(path, "w") as out:
        json.dump(results, out, indent=2, default=str)
        out.write("\n")
