"""The report: targets, issue 16's verdicts, the JSON object and the table."""

from __future__ import annotations

import os
import statistics
import sys
from datetime import UTC, datetime

from benchkit.figures import percentile, seconds, summary

#: The targets of the first performance issue at 10,000 accounts: "must" and "aim" as in its
#: table (``targets`` in the JSON; kept so runs compare with the older ones).
TARGETS: dict[str, dict] = {
    "startup_ratio": {
        "must": 1.5,
        "aim": 1.0,
        "unit": "x VisiData",
        "what": "launch to the first due row on screen, / VisiData opening the accounts CSV",
        "measured_by": "benchmarks/startup.py",
    },
    "peak_rss_mib": {"must": 250, "aim": 150, "unit": "MiB", "what": "peak memory"},
    "quicklog_p95_ms": {
        "must": 50,
        "aim": 10,
        "unit": "ms",
        "what": "quick log enter to saved and visible, p95",
    },
    "filter_p95_ms": {
        "must": 50,
        "aim": 16,
        "unit": "ms",
        "what": "book filter keystroke to list updated, p95",
    },
    "timeline_open_ms": {
        "must": 100,
        "aim": 30,
        "unit": "ms",
        "what": "open an account with a 2,000-entry timeline, median",
    },
    "kpi_cold_ms": {
        "must": 300,
        "aim": 100,
        "unit": "ms",
        "what": "KPI panel for 12 months, computed while you wait, median",
    },
    "renewals_ms": {
        "must": 300,
        "aim": 100,
        "unit": "ms",
        "what": "renewals screen (next 120 days, forecast) on a fresh screen, median",
    },
    "demo_build_s": {"must": 120, "aim": 30, "unit": "s", "what": "build the demo book"},
    "review_s": {
        "must": 3,
        "aim": 1,
        "unit": "s",
        "what": "monthly review of the last full month (read, compute, Markdown), median",
    },
}


#: Issue 16's Musts (``verdicts`` in the JSON): the key of the value in the JSON, the
#: bound, and which script measures it (start-up and the app's own memory: startup.py).
MUSTS: dict[str, dict] = {
    "book_open_ms": {
        "must": 150,
        "unit": "ms",
        "what": "b until a fresh Book screen lists the accounts, median",
    },
    "cli_today_s": {
        "must": 0.35,
        "unit": "s",
        "what": "`bookkeeper today --json`, wall, median of processes (see python_pass_s)",
    },
    "cli_log_s": {
        "must": 0.35,
        "unit": "s",
        "what": "`bookkeeper log LINE`, wall, median of processes (see python_pass_s)",
    },
    "quicklog_p95_ms": {
        "must": 15,
        "unit": "ms",
        "what": "quick log enter to saved and visible, p95",
    },
    "kpi_computed_ms": {
        "must": 150,
        "unit": "ms",
        "what": "KPI panel (12 months) computed while you wait, median",
    },
    "kpi_remembered_ms": {
        "must": 30,
        "unit": "ms",
        "what": "KPI panel (12 months) already remembered, median",
    },
    "paste_echo_ms": {
        "must": 100,
        "unit": "ms",
        "what": "200 characters pasted into the quick log until shown, median",
    },
    "renewals_ms": {
        "must": 300,
        "unit": "ms",
        "what": "r until a fresh Renewals screen lists the next 120 days, median",
    },
    "review_s": {
        "must": 3,
        "unit": "s",
        "what": "monthly review of the last full month (read, compute, Markdown), median",
    },
    "ratio_median": {
        "must": 1.0,
        "unit": "x VisiData",
        "what": "launch to the first due row on screen / VisiData opening the accounts",
        "measured_by": "benchmarks/startup.py",
    },
    "app_peak_rss_after_tour_mib": {
        "must": 150,
        "unit": "MiB",
        "what": "peak memory of the app alone after Today, the Book and the KPIs",
        "measured_by": "benchmarks/startup.py",
    },
}


def verdict(value: float | None, must: float) -> dict:
    """Issue 16's verdict shape, shared with startup.py: value, must, pass (None: no value)."""
    return {"value": value, "must": must, "pass": None if value is None else value <= must}


def verdicts(out: dict, here: str = "benchmarks/bench.py") -> dict:
    """Every Must of issue 16: measured here, or pointing at the script that measures it."""
    found = {}
    for key, m in MUSTS.items():
        entry = verdict(out.get(key) if m.get("measured_by", here) == here else None, m["must"])
        entry.update({k: v for k, v in m.items() if k != "must"})
        found[key] = entry
    return found


def startup_verdicts(out: dict) -> dict:
    """The Musts that ``benchmarks/startup.py`` measures, in the same shape."""
    here = "benchmarks/startup.py"
    return {key: v for key, v in verdicts(out, here).items() if v.get("measured_by") == here}


def targets(out: dict) -> dict:
    found = {}
    for key, t in TARGETS.items():
        value = out.get(key)
        entry = dict(t)
        entry["value"] = value
        entry["pass"] = None if value is None else value <= t["must"]
        entry["aim_met"] = None if value is None else value <= t["aim"]
        found[key] = entry
    return found


def _stat(samples: dict, key: str, q: str) -> float | None:
    s = samples.get(key)
    if not s:
        return None
    return round(statistics.median(s) if q == "p50" else percentile(s, 95), 1)


def _timings(samples: dict) -> dict:
    """The app's and the queries' timings, from their samples."""

    def p50(key: str) -> float | None:
        return _stat(samples, key, "p50")

    return {
        "quicklog_p50_ms": p50("quicklog_ms"),
        "quicklog_p95_ms": _stat(samples, "quicklog_ms", "p95"),
        "paste_echo_ms": p50("paste_echo_ms"),
        "book_open_ms": p50("book_open_ms"),
        "filter_p50_ms": p50("filter_ms"),
        "filter_p95_ms": _stat(samples, "filter_ms", "p95"),
        "timeline_open_ms": p50("timeline_ms"),
        "kpi_computed_ms": p50("kpi_cold_ms"),
        "kpi_remembered_ms": p50("kpi_ms"),
        "kpi_cold_ms": p50("kpi_cold_ms"),
        "kpi_ms": p50("kpi_ms"),
        "kpi_compute_ms": p50("kpi_compute_ms"),
        "today_query_ms": p50("today_query_ms"),
        "accounts_query_ms": p50("accounts_query_ms"),
        "show_query_ms": p50("show_query_ms"),
        "review_s": seconds(p50("review_ms")),
        "renewals_ms": p50("renewals_ms"),
        "renewals_query_ms": p50("renewals_query_ms"),
        "python_pass_s": _s3(p50("python_pass_ms")),
        "cli_today_s": _s3(p50("cli_today_ms")),
        "cli_log_s": _s3(p50("cli_log_ms")),
    }


def _s3(value_ms: float | None) -> float | None:
    return None if value_ms is None else round(value_ms / 1000, 3)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 2)


def report(book_info: dict, child: dict, args) -> dict:
    """The JSON object: the run, every timing, issue 16's verdicts, the older targets."""
    values = child.get("values", {})
    samples = child.get("samples", {})
    errors = dict(child.get("errors", {}))
    built = (
        "this run"
        if book_info["built"]
        else f"when the book was built ({book_info['built_at']})"
        if book_info["built_at"]
        else None
    )
    out: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cpus, Python {sys.version.split()[0]}",
        "as_of": book_info["as_of"].isoformat(),
        "accounts": values.get("accounts"),
        "interactions": values.get("interactions"),
        "demo_build_s": book_info["demo_build_s"],
        "demo_build_measured": built,
        "today_ready_ms": values.get("today_ready_ms"),
        "today_rows": values.get("today_rows"),
        **_timings(samples),
    }
    keep = (
        "paste_chars",
        "timeline_entries",
        "timeline_account",
        "renewals_rows",
        "cli_today_rows",
        "peak_rss_mib",
        "peak_rss_end_mib",
        "peak_rss_by_step_mib",
        "rss_before_app_mib",
    )
    out.update({key: values.get(key) for key in keep})
    out["cli_today_x_python"] = _ratio(out["cli_today_s"], out["python_pass_s"])
    out["cli_log_x_python"] = _ratio(out["cli_log_s"], out["python_pass_s"])
    out["repeat"] = args.repeat
    out["repeat_slow"] = args.repeat_slow
    out["repeat_cli"] = args.repeat_cli
    out["samples"] = {k: summary(v) for k, v in samples.items()}
    if book_info["built"] is False and book_info["demo_build_s"] is None:
        errors.setdefault("demo_build_s", "book reused and its build time is unknown")
    out["verdicts"] = verdicts(out)
    out["targets"] = targets(out)
    out["errors"] = errors
    return out


def _shown(value, unit: str) -> str:
    return "–" if value is None else f"{value:g} {'x' if unit == 'x VisiData' else unit}"


def _verdict_lines(out: dict) -> list[str]:
    lines = [f"{'issue 16 must':<34}{'value':>12}{'must':>12}  verdict"]
    for key, v in out["verdicts"].items():
        word = (
            f"see {v['measured_by'].split('/')[-1]}"
            if "measured_by" in v
            else "no value"
            if v["pass"] is None
            else "pass"
            if v["pass"]
            else "FAIL"
        )
        lines.append(
            f"{key:<34}{_shown(v['value'], v['unit']):>12}{_shown(v['must'], v['unit']):>12}"
            f"  {word}"
        )
    return lines


def _target_lines(out: dict) -> list[str]:
    lines = [f"{'older target':<34}{'value':>12}{'must':>10}{'aim':>10}  verdict"]
    for key, t in out["targets"].items():
        value = t["value"]
        verdict_word = (
            "see startup.py"
            if value is None and "measured_by" in t
            else "no value"
            if value is None
            else "aim met"
            if t["aim_met"]
            else "pass"
            if t["pass"]
            else "FAIL"
        )
        lines.append(
            f"{key:<34}{_shown(value, t['unit']):>12}{t['must']:>10g}{t['aim']:>10g}"
            f"  {verdict_word}"
        )
    return lines


OTHER_KEYS = (
    "today_ready_ms",
    "today_rows",
    "quicklog_p50_ms",
    "filter_p50_ms",
    "timeline_entries",
    "kpi_compute_ms",
    "today_query_ms",
    "accounts_query_ms",
    "show_query_ms",
    "renewals_rows",
    "renewals_query_ms",
    "python_pass_s",
    "cli_today_x_python",
    "cli_log_x_python",
    "cli_today_rows",
    "rss_before_app_mib",
    "peak_rss_end_mib",
)


def table(out: dict) -> str:
    lines = [
        f"Bookkeeper benchmark · {out['accounts']} accounts · {out['interactions']} interactions"
        f" · as of {out['as_of']} · {out['date']} · {out['machine']}",
        "",
        *_verdict_lines(out),
        "",
        *_target_lines(out),
        "",
    ]
    for key in OTHER_KEYS:
        lines.append(f"{key:<34}{'–' if out.get(key) is None else out[key]!s:>12}")
    lines.append("")
    lines.append(f"{'samples (ms)':<22}{'n':>4}{'min':>10}{'p50':>10}{'p95':>10}{'max':>10}")
    for key, v in out["samples"].items():
        if v.get("n"):
            lines.append(
                f"{key:<22}{v['n']:>4}{v['min']:>10.1f}{v['p50']:>10.1f}"
                f"{v['p95']:>10.1f}{v['max']:>10.1f}"
            )
    for key, err in out["errors"].items():
        lines.append(f"error in {key}: {err}")
    return "\n".join(lines)
