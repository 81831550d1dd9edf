"""Issue 15 #2 for the monthly review rules, the playbook, the review's store reads, the
restore and the copy to another database: no module over 500 lines, no function over 80
(decorators and docstring included, as tests/test_sizes_all.py counts them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_sizes_all import long_functions as _long_functions

SRC = Path(__file__).resolve().parent.parent / "src" / "bookkeeper_tui"
CORE = SRC / "core"
MODULES = sorted(
    [
        *CORE.glob("review*.py"),
        *CORE.glob("review/**/*.py"),
        CORE / "playbook.py",
        SRC / "store" / "review.py",
        SRC / "io" / "care.py",
        SRC / "io" / "migrate.py",
    ]
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_is_short_and_so_are_its_functions(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 500, f"{path.name} has {lines} lines"
    assert _long_functions(path) == []


def test_the_modules_are_found():
    names = {p.relative_to(SRC).as_posix() for p in MODULES}
    assert {
        "core/review/__init__.py",
        "core/playbook.py",
        "store/review.py",
        "io/care.py",
        "io/migrate.py",
    } <= names


#: What `bookkeeper_tui.core.review` offered as one module: the package keeps all of it
#: (the standard library's names it happened to import aside).
REVIEW_NAMES = (
    "AccountFact", "BANDS", "ChurnReason", "DEFAULT_TARGETS", "HealthMix", "NO_REASON",
    "NPS_MONTHS", "NpsConfig", "NpsFact", "OUTCOMES", "OutcomeFact", "RENEWAL_RISK_DAYS", "ROLES",
    "RenewalRisk", "RenewalRow", "RenewalSummary", "Review", "ReviewConfig", "ReviewFacts",
    "RiskRow", "RoleNps", "SnapshotFact", "TIERS", "TOP", "TREND_MONTHS", "TierTarget", "TrendRow",
    "WEAK_COMPONENT", "Waterfall", "Win", "_MONTH", "_changes", "_churn_reasons", "_health_mix",
    "_nps_by_role", "_ordered", "_reason_key", "_renewal_risks", "_renewal_summary", "_risks",
    "_role_of", "_rounded", "_tier_targets", "_trend_row", "_values_at", "_wins", "_ym",
    "build_review", "kpis", "month_end", "month_label", "month_problem", "month_window", "npsm",
    "parse_month", "review_data", "shift_month", "trend_months",
)


def test_the_review_keeps_every_name_of_the_former_module():
    from bookkeeper_tui.core import review

    assert [name for name in REVIEW_NAMES if not hasattr(review, name)] == []
