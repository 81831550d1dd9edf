"""The monthly review (issue 14 #4): core numbers on a small hand-made book with fixed dates,
the store's facts matching them, the Markdown and HTML renderings, and the CLI."""

from __future__ import annotations

import json
import os
import stat
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from bookkeeper_tui.core import review as rv
from bookkeeper_tui.io.review import md_cell, to_html, to_markdown
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    HealthSnapshot,
    MrrLevel,
    RenewalOutcome,
    Score,
    name_key,
)

D = date

# -- the hand-made book ----------------------------------------------------------------------
#: name -> (tier, start, renewal, status, MRR levels)
ACCOUNTS = {
    "Acme": (
        "enterprise",
        D(2025, 6, 1),
        D(2027, 11, 12),
        "active",
        [(D(2025, 6, 1), 6000), (D(2026, 11, 10), 7000)],
    ),
    "Pipe | Co": (
        "smb",
        D(2025, 7, 1),
        D(2026, 11, 15),
        "churned",
        [(D(2025, 7, 1), 500), (D(2026, 11, 15), 0)],
    ),
    "Cyber <b>": (
        "mid-market",
        D(2025, 8, 1),
        D(2027, 11, 20),
        "active",
        [(D(2025, 8, 1), 2000), (D(2026, 11, 20), 1500)],
    ),
    "Delta": ("smb", D(2026, 11, 5), D(2027, 11, 5), "active", [(D(2026, 11, 5), 300)]),
    "Echo": (
        "smb",
        D(2025, 9, 1),
        D(2027, 9, 1),
        "active",
        [(D(2025, 9, 1), 400), (D(2026, 6, 1), 0), (D(2026, 11, 25), 400)],
    ),
    "Fox": ("smb", D(2025, 10, 1), None, "churned", [(D(2025, 10, 1), 250), (D(2026, 3, 10), 0)]),
    "Globex": ("enterprise", D(2025, 5, 1), D(2026, 12, 20), "active", [(D(2025, 5, 1), 9000)]),
}
#: (account, day, score, band, components)
SNAPSHOTS = [
    ("Acme", D(2026, 11, 28), 80.0, "green", [["usage", 90.0], ["engagement", 70.0]]),
    (
        "Cyber <b>",
        D(2026, 11, 28),
        40.0,
        "red",
        [["usage", 20.0], ["engagement", 50.0], ["support", 90.0]],
    ),
    ("Globex", D(2026, 11, 28), 65.0, "yellow", [["usage", 70.0]]),
    ("Echo", D(2026, 11, 28), 76.0, "green", []),
    ("Acme", D(2026, 10, 20), 70.0, "yellow", []),
    ("Globex", D(2026, 10, 20), 80.0, "green", []),
    ("Acme", D(2026, 12, 1), 10.0, "red", []),  # after the month: never read for November
]
#: (account, contact or None, role, day, value)
NPS = [
    ("Acme", "Priya", "champion", D(2026, 9, 10), 6),
    ("Acme", "Priya", "champion", D(2026, 11, 3), 10),
    ("Cyber <b>", "Bob", "end_user", D(2026, 10, 1), 3),
    ("Globex", None, "other", D(2026, 11, 2), 8),
    ("Globex", "Old", "economic_buyer", D(2026, 8, 31), 0),  # before the NPS window
]
#: (account, renewal, day, outcome, before, after, reason)
OUTCOMES = [
    ("Acme", D(2026, 11, 12), D(2026, 11, 10), "renewed", 6000.0, 7000.0, ""),
    ("Pipe | Co", D(2026, 11, 15), D(2026, 11, 15), "churned", 500.0, 0.0, "Too  expensive"),
    ("Cyber <b>", D(2026, 11, 20), D(2026, 11, 20), "downgraded", 2000.0, 1500.0, "fewer seats"),
    ("Globex", D(2025, 12, 20), D(2025, 12, 18), "renewed", 9000.0, 9000.0, ""),
]
IDS = {name: i for i, name in enumerate(ACCOUNTS, start=1)}
CONTACT_IDS = {("Acme", "Priya"): 1, ("Cyber <b>", "Bob"): 2, ("Globex", "Old"): 3}


def make_facts() -> rv.ReviewFacts:
    accounts = {
        IDS[n]: rv.AccountFact(IDS[n], n, tier, start, renewal, status)
        for n, (tier, start, renewal, status, _) in ACCOUNTS.items()
    }
    history = {IDS[n]: tuple((d, float(m)) for d, m in spec[4]) for n, spec in ACCOUNTS.items()}
    snapshots: dict[date, dict[int, rv.SnapshotFact]] = {}
    for y, m in rv.trend_months(2026, 11):
        end = rv.month_end(y, m)
        latest: dict[int, rv.SnapshotFact] = {}
        for name, day, score, band, comps in sorted(SNAPSHOTS, key=lambda s: s[1]):
            if day <= end:
                latest[IDS[name]] = rv.SnapshotFact(
                    day, score, band, tuple((c, float(v)) for c, v in comps)
                )
        snapshots[end] = latest
    nps = [
        rv.NpsFact(IDS[a], CONTACT_IDS.get((a, c)), c, role, day, value)
        for a, c, role, day, value in NPS
    ]
    outcomes = [
        rv.OutcomeFact(IDS[a], renewal, day, outcome, before, after, reason)
        for a, renewal, day, outcome, before, after, reason in OUTCOMES
    ]
    return rv.ReviewFacts(accounts, history, snapshots, nps, outcomes)


@pytest.fixture(scope="module")
def review() -> rv.Review:
    return rv.build_review(make_facts(), 2026, 11)


# -- months ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-11", (2026, 11)), (" 2026-1 ", (2026, 1)), ("2026-12", (2026, 12))],
)
def test_parse_month(text, expected):
    assert rv.parse_month(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-13", "01 to 12"),
        ("2026-00", "01 to 12"),
        ("nov", "YYYY-MM"),
        ("2026-11-01", "YYYY-MM"),
    ],
)
def test_parse_month_refuses(text, says):
    with pytest.raises(ValueError, match=says):
        rv.parse_month(text)


@pytest.mark.parametrize(
    ("year", "month", "today", "first", "problem"),
    [
        (2026, 11, D(2026, 12, 4), D(2025, 5, 1), None),
        (2026, 12, D(2026, 12, 4), D(2025, 5, 1), None),  # begun: allowed (partial)
        (2027, 1, D(2026, 12, 4), D(2025, 5, 1), "in the future"),
        (2025, 4, D(2026, 12, 4), D(2025, 5, 1), "before the book's first account"),
        (2025, 5, D(2026, 12, 4), D(2025, 5, 31), None),  # the first account's month
        (2026, 11, D(2026, 12, 4), None, "no accounts"),
    ],
)
def test_month_problem(year, month, today, first, problem):
    got = rv.month_problem(year, month, today, first)
    if problem is None:
        assert got is None
    else:
        assert problem in got


def test_month_window_is_the_kpi_period_of_the_month():
    assert rv.month_window(2026, 11) == (D(2026, 10, 31), D(2026, 11, 30))
    assert rv.month_window(2026, 3) == (D(2026, 2, 28), D(2026, 3, 31))
    assert rv.month_window(2026, 1) == (D(2025, 12, 31), D(2026, 1, 31))


# -- core numbers -----------------------------------------------------------------------------
def test_trend_is_the_month_and_the_eleven_before(review):
    assert [r.month for r in review.trend] == [
        "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05",
        "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11",
    ]  # fmt: skip
    assert review.current.month == "2026-11"


@pytest.mark.parametrize(
    ("month", "nrr", "grr", "logo_churn", "cohort"),
    [
        ("2025-12", 1.0, 1.0, 0.0, 6),
        ("2026-03", 17900 / 18150, 17900 / 18150, 1 / 6, 6),  # Fox churns
        ("2026-06", 17500 / 17900, 17500 / 17900, 1 / 5, 5),  # Echo churns
        ("2026-11", 17500 / 17500, 16500 / 17500, 1 / 4, 4),  # Pipe churns, Acme grows
    ],
)
def test_trend_rows(review, month, nrr, grr, logo_churn, cohort):
    row = next(r for r in review.trend if r.month == month)
    assert row.nrr == pytest.approx(nrr)
    assert row.grr == pytest.approx(grr)
    assert row.logo_churn == pytest.approx(logo_churn)
    assert row.cohort == cohort


def test_the_year_row_is_the_twelve_months_as_one_period(review):
    y = review.year
    assert (y.start, y.end) == (D(2025, 11, 30), D(2026, 11, 30))
    assert y.starting_mrr == 18150 and y.ending_mrr == 18200
    assert y.nrr == pytest.approx(17900 / 18150)
    assert y.grr == pytest.approx((6000 + 1500 + 400 + 9000) / 18150)
    assert (y.cohort, y.churned_logos) == (6, 2)


def test_waterfall_adds_up(review):
    w = review.waterfall
    assert (w.starting, w.new, w.reactivation, w.expansion, w.contraction, w.churned) == (
        17500,
        300,
        400,
        1000,
        500,
        500,
    )
    assert w.ending == 18200
    assert w.starting + sum(amount for _, amount in w.steps) == pytest.approx(w.ending)
    assert review.current.starting_mrr == w.starting
    assert review.current.ending_mrr == w.ending


def test_health_mix_uses_each_customers_latest_snapshot_by_month_end(review):
    nov = review.health[-1]
    # Acme, Echo green; Globex yellow; Cyber red; Delta has none; Pipe churned (no MRR).
    assert (nov.green, nov.yellow, nov.red, nov.unknown) == (2, 1, 1, 1)
    assert nov.green_share == pytest.approx(2 / 4)
    octo = review.health[-2]
    # Echo had no MRR in October; Pipe did but has no snapshot.
    assert (octo.green, octo.yellow, octo.red, octo.unknown) == (1, 1, 0, 2)
    assert len(review.health) == 12


def test_nps_by_role_reads_each_contacts_latest_answer_of_the_quarter(review):
    assert review.nps_start == D(2026, 9, 1)
    roles = {r.role: r for r in review.nps_roles}
    assert (roles["champion"].answers, roles["champion"].contacts, roles["champion"].nps) == (
        2,
        1,
        100.0,
    )
    assert roles["end_user"].nps == -100.0
    assert roles["other"].nps == 0.0  # the anonymous 8 is passive
    assert roles["economic_buyer"].nps is None  # its only answer is before the window
    assert review.nps_portfolio == pytest.approx(0.0)  # 10, 3, 8: one of each


def test_renewals_closed_in_the_month(review):
    assert [(r.account, r.outcome) for r in review.renewals] == [
        ("Acme", "renewed"),
        ("Pipe | Co", "churned"),
        ("Cyber <b>", "downgraded"),
    ]
    s = review.renewal_summary
    assert (s.renewed, s.downgraded, s.churned) == (1, 1, 1)
    assert s.mrr_before == 8500 and s.mrr_after == 8500
    assert s.logo_rate == pytest.approx(2 / 3)


def test_top_risks_name_the_weak_components_and_the_renewals_not_green(review):
    assert [(r.account, r.mrr, r.reasons) for r in review.risks] == [
        ("Cyber <b>", 1500, ("usage 20", "engagement 50"))
    ]
    assert [(r.account, r.renewal, r.days, r.band) for r in review.renewal_risks] == [
        ("Globex", D(2026, 12, 20), 20, "yellow")
    ]
    assert (review.risk_count, review.renewal_risk_count, review.renewal_risk_mrr) == (1, 1, 9000)


def test_risk_lists_keep_the_largest_and_count_them_all():
    review = rv.build_review(make_facts(), 2026, 11, top=0)
    assert review.risks == [] and review.renewal_risks == []
    assert (review.risk_count, review.renewal_risk_count) == (1, 1)
    md = to_markdown(review)
    assert "## Top risks: red accounts at month end (1, the 0 largest)" in md
    assert (
        "## Top risks: renewals in the next 90 days, not green (1, MRR 9,000; the 0 largest)" in md
    )


def test_wins_are_expansions_promoters_and_renewals_won(review):
    assert [(w.kind, w.account) for w in review.wins] == [
        ("expansion", "Acme"),
        ("promoter", "Acme"),
        ("renewal", "Acme"),
    ]
    assert "Priya (champion)" in review.wins[1].detail


def test_churn_reasons_count_outcomes_and_unexplained_churn(review):
    assert [(r.reason, r.month, r.last_12_months) for r in review.churn_reasons] == [
        ("Too expensive", 1, 1),
        (rv.NO_REASON, 0, 2),  # Fox in March and Echo in June, no outcome logged
    ]


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        # Year 2025-11-30 .. 2026-11-30: ent Acme+Globex keep, mid Cyber keeps, smb
        # cohort Pipe, Echo, Fox: Pipe and Fox gone (Echo came back by the end).
        (
            None,
            {
                "enterprise": (2, 0, 0.0, True),
                "mid-market": (1, 0, 0.0, True),
                "smb": (3, 2, 2 / 3, False),
            },
        ),
        ({"enterprise": 5.0, "mid-market": 7.0, "smb": 70.0}, {"smb": (3, 2, 2 / 3, True)}),
    ],
)
def test_tier_targets(targets, expected):
    review = rv.build_review(make_facts(), 2026, 11, targets=targets)
    got = {t.tier: t for t in review.targets}
    assert got["enterprise"].target == 0.05 if targets is None else True
    for tier, (cohort, churned, actual, met) in expected.items():
        t = got[tier]
        assert (t.cohort, t.churned, t.met) == (cohort, churned, met)
        assert t.actual == pytest.approx(actual)
        assert t.days == 365


def test_a_young_book_annualises_the_tier_churn():
    facts = make_facts()
    review = rv.build_review(facts, 2025, 8)  # the book starts 2025-05-01
    assert review.targets[0].days == (D(2025, 8, 31) - D(2025, 5, 1)).days
    assert review.notes and "2025-05-01" in review.notes[0]
    assert review.trend[0].nrr is None  # 2024-09: no revenue yet


def test_review_data_is_plain_json():
    data = rv.review_data(rv.build_review(make_facts(), 2026, 11))
    text = json.dumps(data, default=str)
    assert data["waterfall"]["ending"] == 18200
    assert [s["label"] for s in data["waterfall"]["steps"]] == [
        "new",
        "reactivation",
        "expansion",
        "contraction",
        "churned",
    ]
    assert json.loads(text)["month"] == "2026-11"


# -- renderings -------------------------------------------------------------------------------
def test_markdown_key_lines(review):
    md = to_markdown(review)
    lines = md.splitlines()
    assert lines[0] == "# Monthly review · November 2026"
    # Year 2025-11-30 .. 2026-11-30: cohort Acme, Pipe, Cyber, Echo, Fox, Globex (18,150);
    # at the end 7,000 + 0 + 1,500 + 400 + 0 + 9,000 = 17,900.
    assert "| NRR | 100.0% | 98.6% | problem (< 100%) |" in lines
    assert "| GRR | 94.3% | 93.1% | healthy (>= 90%) |" in lines
    assert "| Logo churn | 25.0% | 33.3% | dangerous (> 20%) |" in lines
    assert "| 2026-11 | 17,500 | 18,200 | 100.0% | 94.3% | 25.0% | 1/4 |" in lines
    assert "| Contraction | −500 |" in lines
    assert "| Ending MRR | 18,200 |" in lines
    assert "| 2026-11 | 2 | 1 | 1 | 1 | 50.0% |" in lines
    assert "| smb | 3 | 2 | 66.7% | < 10% | missed |" in lines
    assert "| enterprise | 2 | 0 | 0.0% | < 5% | met |" in lines
    assert "| Too expensive | 1 | 1 |" in lines
    # A pipe in a name is escaped, so the table keeps its columns.
    assert (
        "| Pipe \\| Co | smb | 2026-11-15 | 2026-11-15 | churned | 500 -> 0 | Too  expensive |"
        in lines
    )


def test_markdown_cells_escape_pipes_and_line_breaks():
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("two\nlines") == "two lines"
    assert md_cell("back\\slash") == "back\\\\slash"
    assert md_cell("Cyber <b>") == "Cyber &lt;b>"  # never inline HTML in a viewer
    assert md_cell("<!-- x --> </i> <?php") == "&lt;!-- x --> &lt;/i> &lt;?php"
    assert md_cell("< 5%") == "< 5%"


class _Checker(HTMLParser):
    """Fails on a closing tag that does not match the open one (well-formedness)."""

    VOID = {"meta", "br", "img", "link", "input", "hr", "rect", "line", "circle", "polyline"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID and (not self.stack or self.stack[-1] != tag):
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def _check_html(text: str) -> _Checker:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert not checker.errors, checker.errors[:3]
    assert checker.stack == [], checker.stack
    return checker


def test_html_is_well_formed_self_contained_and_escaped(review):
    page = to_html(review)
    checker = _check_html(page)
    assert checker.tags.count("svg") == 3
    assert "<script" not in page.lower()
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert "Cyber &lt;b&gt;" in page and "Cyber <b>" not in page
    assert "<title>Monthly review · November 2026</title>" in page
    assert "<td>Too  expensive</td>" in page


def test_rendering_is_deterministic(review):
    again = rv.build_review(make_facts(), 2026, 11)
    assert to_markdown(review) == to_markdown(again)
    assert to_html(review) == to_html(again)


def test_html_of_an_empty_month_still_has_its_charts():
    facts = rv.ReviewFacts(
        accounts={1: rv.AccountFact(1, "Solo", "smb", D(2026, 11, 20), None, "active")},
        history={},
        snapshots={},
    )
    review = rv.build_review(facts, 2026, 11)
    page = to_html(review)
    assert _check_html(page).tags.count("svg") == 3
    assert "None." in to_markdown(review)


# -- the store reads the same facts ------------------------------------------------------------
def write_book(book) -> None:
    with book.write() as s:
        for name, (tier, start, renewal, status, _levels) in ACCOUNTS.items():
            s.add(
                Account(
                    id=IDS[name],
                    name=name,
                    name_key=name_key(name),
                    tier=tier,
                    start=start,
                    renewal=renewal,
                    status=status,
                )
            )
        s.flush()
        for name, (*_, levels) in ACCOUNTS.items():
            for day, mrr in levels:
                s.add(MrrLevel(account_id=IDS[name], effective=day, mrr=mrr))
        for (account, cname), cid in CONTACT_IDS.items():
            role = next(r for a, c, r, _, _ in NPS if (a, c) == (account, cname))
            s.add(
                Contact(
                    id=cid, account_id=IDS[account], name=cname, name_key=name_key(cname), role=role
                )
            )
        s.flush()
        for account, cname, _role, day, value in NPS:
            s.add(
                Score(
                    account_id=IDS[account],
                    contact_id=CONTACT_IDS.get((account, cname)),
                    kind="nps",
                    value=value,
                    day=day,
                )
            )
        for account, day, score, band, comps in SNAPSHOTS:
            s.add(
                HealthSnapshot(
                    account_id=IDS[account],
                    day=day,
                    score=score,
                    band=band,
                    components=json.dumps(comps),
                )
            )
        for account, renewal, day, outcome, before, after, reason in OUTCOMES:
            s.add(
                RenewalOutcome(
                    account_id=IDS[account],
                    renewal=renewal,
                    day=day,
                    outcome=outcome,
                    mrr_before=before,
                    mrr_after=after,
                    reason=reason,
                )
            )


@pytest.mark.both_backends
def test_store_gathers_the_same_review(book):
    from bookkeeper_tui.store import review as store_review

    write_book(book)
    assert store_review.first_start(book) == D(2025, 5, 1)
    from_store = store_review.build(book, 2026, 11)
    assert from_store == rv.build_review(make_facts(), 2026, 11)


# -- the command ----------------------------------------------------------------------------------
@pytest.fixture
def hand_book(db):
    from bookkeeper_tui.store.book import Book

    b = Book.open(db)
    write_book(b)
    b.close()
    return db


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--month", "2026-13"], "01 to 12"),
        (["--month", "november"], "YYYY-MM"),
        (["--month", "2027-01"], "in the future"),
        (["--month", "2025-04"], "before the book's first account"),
        (["--as-of", "2026-02-30"], "--as-of"),
        (["--json", "--format", "html"], "--json"),
    ],
)
def test_cli_bad_input_exits_2_with_a_clear_message(hand_book, cli, args, says):
    r = cli("review", "--as-of", "2026-12-04", *args)
    assert r.code == 2
    assert says in r.err and "Traceback" not in r.err
    assert r.err.count("\n") == 1


def test_cli_prints_markdown_by_default_for_the_last_full_month(hand_book, cli):
    r = cli("review", "--as-of", "2026-12-04")
    assert r.code == 0, r.err
    assert r.out.startswith("# Monthly review · November 2026\n")
    assert "not over yet" not in r.out


def test_cli_json(hand_book, cli):
    r = cli("review", "--month", "2026-11", "--as-of", "2026-12-04", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["month"] == "2026-11"
    assert data["waterfall"]["ending"] == 18200
    assert data["targets"][2] | {"actual": None} == {
        "tier": "smb",
        "cohort": 3,
        "churned": 2,
        "actual": None,
        "days": 365,
        "target": 0.1,
        "met": False,
    }


def test_cli_writes_a_private_html_file(hand_book, cli, tmp_path):
    out = tmp_path / "review.html"
    r = cli(
        "review", "--month", "2026-11", "--as-of", "2026-12-04", "--format", "html", "-o", str(out)
    )
    assert r.code == 0, r.err
    assert r.out == ""
    assert "review.html" in r.err
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    page = out.read_text(encoding="utf-8")
    assert _check_html(page).tags.count("svg") == 3
    again = tmp_path / "again.html"
    cli(
        "review",
        "--month",
        "2026-11",
        "--as-of",
        "2026-12-04",
        "--format",
        "html",
        "-o",
        str(again),
    )
    assert again.read_text(encoding="utf-8") == page  # reproducible from the book alone


def test_cli_marks_a_month_not_over_yet(hand_book, cli):
    r = cli("review", "--month", "2026-11", "--as-of", "2026-11-24")
    assert r.code == 0, r.err
    assert "not over yet (today is 2026-11-24)" in r.out


def test_cli_review_leaves_the_book_unchanged(hand_book, cli, db):
    from sqlalchemy import func, select

    from bookkeeper_tui.store.book import Book

    def counts():
        b = Book.open(db)
        try:
            with b.read() as s:
                return [
                    s.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (HealthSnapshot, Account, MrrLevel)
                ]
        finally:
            b.close()

    before = counts()
    assert cli("review", "--month", "2026-11", "--as-of", "2026-12-04").code == 0
    assert counts() == before


def test_config_targets(tmp_path):
    from bookkeeper_tui.config import ConfigError, parse_config

    cfg = parse_config('[review.targets]\nenterprise = 3\n"mid-market" = 8\n')
    assert cfg.review.targets == {"enterprise": 3.0, "mid-market": 8.0, "smb": 10.0}
    with pytest.raises(ConfigError, match=r"review\.targets\.smb"):
        parse_config("[review.targets]\nsmb = 0\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'review\.targets\.startup'"):
        parse_config("[review.targets]\nstartup = 4\n")


def test_cli_uses_the_config_targets(hand_book, cli, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("[review.targets]\nsmb = 70\n", encoding="utf-8")
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(config))
    r = cli("review", "--month", "2026-11", "--as-of", "2026-12-04")
    assert r.code == 0, r.err
    assert "| smb | 3 | 2 | 66.7% | < 70% | met |" in r.out


def test_the_documented_complete_config_has_the_default_targets():
    from pathlib import Path

    from bookkeeper_tui.config import DEFAULT, parse_config

    doc = (Path(__file__).parent.parent / "docs" / "config.md").read_text(encoding="utf-8")
    example = doc.split("## A complete example", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    assert parse_config(example).review == DEFAULT.review


def _random_facts(seed: int) -> rv.ReviewFacts:
    import random

    rnd = random.Random(seed)
    accounts, history = {}, {}
    for aid in range(1, 41):
        start = D(2025, 1, 1) + timedelta(days=rnd.randrange(600))
        accounts[aid] = rv.AccountFact(aid, f"A{aid}", rnd.choice(rv.TIERS), start, None, "active")
        levels = [(start, float(rnd.choice([100, 500, 2000])))]
        for _ in range(rnd.randrange(5)):
            day = start + timedelta(days=rnd.randrange(1, 500))
            levels.append((day, float(rnd.choice([0, 0, 300, 800, 2500]))))
        rnd.shuffle(levels)  # any order, same-day levels included
        history[aid] = tuple(levels)
    return rv.ReviewFacts(accounts, history, {})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_trend_and_movements_are_core_kpi_numbers(seed):
    """The review's one-pass numbers equal core/kpi.py's for every month (same formulas)."""
    from bookkeeper_tui.core import kpi

    facts = _random_facts(seed)
    review = rv.build_review(facts, 2026, 9)
    for row in [*review.trend, review.year]:
        rev = kpi.revenue_kpis(facts.history, row.start, row.end)
        assert (row.nrr, row.grr, row.logo_churn) == (rev.nrr, rev.grr, rev.logo_churn)
        assert (row.starting_mrr, row.ending_mrr, row.cohort) == (
            rev.starting_mrr,
            rev.ending_mrr,
            rev.cohort_size,
        )
    start, end = rv.month_window(2026, 9)
    expected = {}
    for aid, levels in facts.history.items():
        amount = kpi.mrr_movements_by_month({aid: levels}, start, end)[-1]["expansion"]
        if amount > 0:
            expected[f"A{aid}"] = amount
    got = {w.account: w.mrr for w in review.wins if w.kind == "expansion"}
    assert got == dict(
        sorted(expected.items(), key=lambda kv: (-kv[1], kv[0].casefold()))[: rv.TOP]
    )


def test_cli_json_to_a_file_and_bad_output_paths(hand_book, cli, tmp_path):
    out = tmp_path / "review.json"
    r = cli("review", "--month", "2026-11", "--as-of", "2026-12-04", "--json", "-o", str(out))
    assert r.code == 0, r.err
    assert json.loads(out.read_text(encoding="utf-8"))["month"] == "2026-11"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    r = cli("review", "--as-of", "2026-12-04", "-o", str(tmp_path / "missing" / "r.md"))
    assert r.code == 2 and "does not exist" in r.err
    r = cli("review", "--as-of", "2026-12-04", "-o", str(tmp_path))
    assert r.code == 2 and "is a folder" in r.err


def test_cli_on_an_empty_book_exits_2(cli):
    r = cli("review", "--as-of", "2026-12-04")
    assert r.code == 2
    assert "no accounts yet" in r.err
