"""Numbers: nearest-rank percentiles, sample summaries, units, this process's peak memory."""

from __future__ import annotations

import math
import resource
import statistics


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): p95 of 20 samples is the 19th smallest."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "min": round(min(samples), 2),
        "p50": round(statistics.median(samples), 2),
        "p95": round(percentile(samples, 95), 2),
        "max": round(max(samples), 2),
        "all": [round(x, 1) for x in samples],
    }


def ms(seconds: float) -> float:
    return seconds * 1000.0


def rss_mib() -> float:
    """This process's peak resident memory (ru_maxrss is KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def seconds(value_ms: float | None) -> float | None:
    """Milliseconds to seconds, two decimals (None stays None)."""
    return None if value_ms is None else round(value_ms / 1000, 2)
