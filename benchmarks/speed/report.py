"""The benchmark's report: the summary of the raw results and its Markdown page.

The prose lives in ``report_template.md``; this module computes what fills it in: figures,
list items and table rows.
"""

import re
import statistics
from pathlib import Path

from benchmarks.speed.settings import MODELS

TEMPLATE = Path(__file__).resolve().with_name("report_template.md")
PART_LINE = re.compile(r"^<!-- part: (\w+) -->$", re.M)

GOAL = 0.95
ALL_VARIANTS = ("a", "b", "c", "d", "a_input", "c_lean")
VARIANT_TITLES = {
    "a": "(a) bare graph loop, pre-staged batches (the limit)",
    "b": "(b) Estimator + `numpy_input_fn` (the original)",
    "c": "(c) Estimator + `make_fast_train_input_fn` (recommended)",
    "d": "(d) Keras `model.fit` on the numpy arrays",
    "a_input": "profile: (a) fed by `make_fast_train_input_fn`",
    "c_lean": "profile: (c) without summaries, step logging, progress line",
}
# The profile: the gap between (a) and (c) as extra milliseconds per step, cause by cause.
PROFILE_STEPS = (
    ("a_input", "a", "the input function (`make_fast_train_input_fn` instead of staged batches)"),
    ("c_lean", "a_input", "`Estimator.train`'s own per-step work (MonitoredSession, NaN check, "
                          "step counter, stop hook)"),
    ("c", "c_lean", "summaries every 100 steps, step-rate logging, the progress line"),
    ("c", "a", "total: (c) over (a)"),
)


def format_loads(loads):
    """Format load averages as uptime shows them: ``(1.5, 0.9, 2.3)`` -> ``'1.50, 0.90, 2.30'``."""
    return ", ".join(f"{x:.2f}" for x in loads)


def summarise(results):
    """Return per model and variant: median steps/s, range, CPU ms/step, ratios to (a), profile."""
    summary = {}
    for model, speed in results["speed"].items():
        rounds = speed["rounds"]
        rows = {}
        for v in ALL_VARIANTS:
            rates = [r[v]["steps_per_s"] for r in rounds]
            cpu = [r[v]["cpu_ms_per_step"] for r in rounds]
            rows[v] = {
                "rate": statistics.median(rates), "min": min(rates), "max": max(rates),
                "cpu_ms": statistics.median(cpu),
                "ratio": statistics.median(r[v]["steps_per_s"] / r["a"]["steps_per_s"]
                                           for r in rounds),
                "cpu_ratio": statistics.median(r["a"]["cpu_ms_per_step"] / r[v]["cpu_ms_per_step"]
                                               for r in rounds),
                "ratios": [r[v]["steps_per_s"] / r["a"]["steps_per_s"] for r in rounds]}
        profile = []
        for upper, lower, cause in PROFILE_STEPS:
            wall = statistics.median(1000.0 / r[upper]["steps_per_s"]
                                     - 1000.0 / r[lower]["steps_per_s"] for r in rounds)
            cpu = statistics.median(r[upper]["cpu_ms_per_step"] - r[lower]["cpu_ms_per_step"]
                                    for r in rounds)
            profile.append({"from": lower, "to": upper, "cause": cause, "wall_ms": wall,
                            "cpu_ms": cpu})
        rows["profile"] = profile
        rows["a_ms"] = statistics.median(1000.0 / r["a"]["steps_per_s"] for r in rounds)
        summary[model] = rows
    return summary


def ratio_line(summary):
    """Return the script's last line: ``ratio_vs_limit dnn=<x> cnn=<y>``, (c) over (a)."""
    parts = [f"{m}={summary[m]['c']['ratio']:.2f}" for m in MODELS if m in summary]
    return "ratio_vs_limit " + " ".join(parts)


def template_parts(path=TEMPLATE):
    """Return the template's parts, ``{name: text}`` in the file's order."""
    pieces = PART_LINE.split(path.read_text(encoding="utf-8"))
    return {name: text.strip("\n") for name, text in zip(pieces[1::2], pieces[2::2])}


def render(results, summary, machine, command, date):
    """Return the Markdown report of one run: the template's parts, filled in."""
    parts = template_parts()
    blocks = [parts["head"].format(**_head_fields(results, machine, command, date))]
    if statistics.median(results["load"]) > machine["cores"] + 0.75:
        blocks.append(parts["shared"].format(cores=machine["cores"]))
    settings = results["settings"]
    blocks.append(parts["measurements"].format(**_speed_fields(summary, settings),
                                               **_profile_fields(summary),
                                               **_runs_fields(results, settings)))
    staged = _staged_items(results)
    if staged:
        blocks.append(parts["staged"].format(staged_list="\n".join(staged)))
    blocks.append(parts["tail"].format(largest_files="\n".join(_largest_file_items(results)),
                                       predict_rows="\n".join(_predict_rows(results)),
                                       ratio_line=ratio_line(summary)))
    return "\n\n".join(blocks) + "\n"


def _head_fields(results, machine, command, date):
    """Return the fields of the title, the command line and the machine."""
    load = results["load"]
    first_run = next(iter(results["runs"].values()), None) or next(iter(results["speed"].values()))
    return {"command": command, "date": date, "minutes": results["seconds"] / 60,
            "cpu": machine["cpu"], "cores": machine["cores"], "memory": machine["memory"],
            "os": machine["os"], "devices": ", ".join(first_run["devices"]),
            "python": machine["python"],
            "versions": ", ".join(f"{k} {v}" for k, v in machine["versions"].items()),
            "load_median": statistics.median(load), "load_min": min(load),
            "load_max": max(load), "busy_cores": min(machine["cores"], 2),
            "uptime_start": format_loads(results["uptime_start"]),
            "uptime_end": format_loads(results["uptime_end"])}


def _table_rows(summary, cell):
    """Return one row per variant: its title, then ``cell(row)`` per model ("—" if not run)."""
    lines = []
    for v in ALL_VARIANTS:
        cells = []
        for model in MODELS:
            cells += cell(summary[model][v]) if model in summary else ["—", "—"]
        lines.append(f"| {VARIANT_TITLES[v]} | " + " | ".join(cells) + " |")
    return lines


def _speed_fields(summary, s):
    """Return the fields of the training-speed section: settings, steps/s and CPU tables."""
    speed_rows = _table_rows(summary, lambda row: [
        f"{row['rate']:.1f} [{row['min']:.0f}–{row['max']:.0f}]", f"{row['ratio']:.2f}×"])
    cpu_rows = _table_rows(summary, lambda row: [
        f"{row['cpu_ms']:.2f}", f"{row['cpu_ratio']:.2f}×"])
    round_ratios = "; ".join(
        f"{m.upper()} " + ", ".join(f"{x:.2f}" for x in summary[m]["c"]["ratios"])
        for m in MODELS if m in summary)
    return {"rounds": s["rounds"], "segment_dnn": s["segment_steps"]["dnn"],
            "segment_cnn": s["segment_steps"]["cnn"], "warmup_dnn": s["warmup"]["dnn"],
            "warmup_cnn": s["warmup"]["cnn"], "speed_rows": "\n".join(speed_rows),
            "round_ratios": round_ratios, "cpu_rows": "\n".join(cpu_rows)}


def _profile_fields(summary):
    """Return the fields of the profile section: budgets, the table, verdicts, largest costs."""
    models = [m for m in MODELS if m in summary]
    rows = []
    for i, (_, _, cause) in enumerate(PROFILE_STEPS):
        cells = []
        for model in MODELS:
            if model not in summary:
                cells.append("—")
                continue
            p = summary[model]["profile"][i]
            cells.append(f"{p['wall_ms']:+.2f} ({p['cpu_ms']:+.2f})")
        rows.append(f"| {cause} | " + " | ".join(cells) + " |")
    verdicts = []
    for m in models:
        ratio = summary[m]["c"]["ratio"]
        verdicts.append(f"{m.upper()} {ratio:.2f}× ({'met' if ratio >= GOAL else 'not met'})")
    largest_costs = []
    for m in models:
        worst = max(summary[m]["profile"][:-1], key=lambda p: p["wall_ms"])
        largest_costs.append(
            f"- Largest cost for the {m.upper()} in this run: {worst['cause']}, "
            f"{worst['wall_ms']:+.2f} ms per step (total "
            f"{summary[m]['profile'][-1]['wall_ms']:+.2f} ms; medians of "
            "differences do not add up exactly).")
    return {"budgets": ", ".join(f"{summary[m]['a_ms'] * 0.05 / 0.95:.2f} ms for the {m.upper()}"
                                 for m in models),
            "profile_rows": "\n".join(rows), "goal": GOAL, "verdicts": ", ".join(verdicts),
            "largest_costs": "\n".join(largest_costs),
            "a_ms": ", ".join(f"{summary[m]['a_ms']:.2f} ms/step for the {m.upper()}"
                              for m in models)}


def _runs_fields(results, s):
    """Return the fields of the fresh runs' section: settings and one table row per run."""
    rows = []
    for key, run in results["runs"].items():
        model, v = key.split("-")
        acc = f"{run['accuracy']:.2%}" if "accuracy" in run else "—"
        ev = f"{run['eval_s']:.2f}" if "eval_s" in run else "—"
        mdir = f"{run['model_dir_mb']:.1f}" if "model_dir_mb" in run else "—"
        rows.append(
            f"| {model.upper()} | ({v}) | {run['steps']:,} | {run['total_s']:.1f} | "
            f"{run['steady']['steps_per_s']:.1f} | {acc} | {ev} | "
            f"{run['peak_rss_mb']:.0f} ({run['rss_after_load_mb']:.0f}) | {mdir} |")
    return {"run_warmup": s["run_warmup"], "eval_repeats": s["eval_repeats"],
            "num_test": next((r["test_images"] for r in results["runs"].values()), 0),
            "run_rows": "\n".join(rows)}


def _staged_items(results):
    """Return one list item per (c) run evaluated with the staged input too."""
    items = []
    for key, run in results["runs"].items():
        ev = run.get("eval", {})
        if "staged" in ev:
            items.append(f"- {key.split('-')[0].upper()}: {ev['staged']['seconds']:.2f} s "
                         f"(accuracy {ev['staged']['accuracy']:.2%}) against "
                         f"{ev['numpy']['seconds']:.2f} s with `numpy_input_fn`.")
    return items


def _largest_file_items(results):
    """Return one list item per run with a model directory: its largest files."""
    items = []
    for key, run in results["runs"].items():
        if "largest_files" in run:
            files = ", ".join(f"`{name}` {mb:.1f} MB" for name, mb in run["largest_files"])
            items.append(f"- {key.upper()}: {files}")
    return items


def _predict_rows(results):
    """Return one prediction-latency table row per (c) run."""
    rows = []
    for model in MODELS:
        run = results["runs"].get(f"{model}-c")
        if not run or "predict" not in run:
            continue
        p = run["predict"]
        rows.append(
            f"| {model.upper()} | {p['estimator_median_s'] * 1e3:.0f} | "
            f"{p['checked_estimator_median_s'] * 1e3:.0f} | {p['predictor_median_s'] * 1e3:.2f} "
            f"| {p['ratio']:.0f}× | {p['predictor_setup_s'] * 1e3:.0f} | "
            f"{p['estimator_calls']} / {p['predictor_calls']} |")
    return rows
