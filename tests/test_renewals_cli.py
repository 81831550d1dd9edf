"""`bookkeeper renewals` and renewal outcome lines on the command line (issue 14 #1)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_backends

AS_OF = "2026-11-24"


@pytest.fixture
def desk(cli):
    for args in (
        ("Globex Ltd", "--tier", "mid-market", "--start", "2025-12-14", "--renewal", "2026-12-14",
         "--mrr", "2000"),
        ("Initech", "--tier", "smb", "--start", "2026-03-10", "--renewal", "2027-03-10",
         "--mrr", "300"),
        ("Umbrella", "--tier", "smb", "--start", "2026-01-01", "--renewal", "2027-09-01",
         "--mrr", "300"),
    ):  # fmt: skip
        r = cli("add", *args)
        assert r.code == 0, r.err
    return cli


def test_renewals_json_shape(desk):
    r = desk("renewals", "--within", "90d", "--as-of", AS_OF, "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert {"as_of", "within_days", "renewals", "forecast", "churn_reasons", "accuracy"} <= set(
        data
    )
    assert (data["as_of"], data["within_days"]) == (AS_OF, 90)
    [row] = data["renewals"]
    assert {
        "account", "renewal", "days_left", "bucket", "mrr", "arr", "band", "health",
        "last_touch", "risks",
    } <= set(row)  # fmt: skip
    assert (row["account"], row["renewal"], row["days_left"], row["arr"]) == (
        "Globex Ltd",
        "2026-12-14",
        20,
        24000,
    )
    f = data["forecast"]
    assert {"arr_at_stake", "expected_retained_arr", "likelihood"} <= set(f)
    assert f["likelihood"] == {"green": 0.95, "yellow": 0.75, "red": 0.4, "unknown": 0.75}
    wider = desk("renewals", "--within", "120d", "--as-of", AS_OF, "--json").json()
    assert [x["account"] for x in wider["renewals"]] == ["Globex Ltd", "Initech"]


def test_renewals_text_and_outcomes_round_trip(desk):
    r = desk("renewals", "--as-of", AS_OF)
    assert r.code == 0, r.err
    assert "Globex" in r.out and "ARR at stake 24,000" in r.out
    r = desk("log", "globex renewal renewed mrr 2200 term 12m", "--as-of", AS_OF)
    assert r.code == 0, r.err
    assert "renewal of 2026-12-14: renewed; next renewal 2027-12-14 (12-month term)" in r.out
    r = desk("log", 'initech renewal churned "moved to a competitor"', "--as-of", AS_OF, "--json")
    assert r.code == 0, r.err
    out = r.json()["renewal_outcome"]
    assert (out["outcome"], out["reason"], out["renewal"]) == (
        "churned",
        "moved to a competitor",
        "2027-03-10",
    )
    data = desk("renewals", "--as-of", AS_OF, "--json").json()
    assert data["renewals"] == []
    assert data["churn_reasons"] == [{"reason": "moved to a competitor", "count": 1, "mrr": 300}]
    r = desk("renewals", "--as-of", AS_OF)
    assert "No renewals in the next 90 days" in r.out
    assert "moved to a competitor" in r.out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("renewals", "--within", "0d"), "must be from 1 day"),
        (("renewals", "--within", "soon"), "is not a number of days"),
        (("log", "globex renewal renewed term 0m"), "must be from 1 to 120 months"),
        (("log", "umbrella renewal renewed"), "next renewal is on 2027-09-01"),
        (("log", "globex renewal downgraded"), "downgraded needs the new MRR"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(desk, args, fragment):
    r = desk(*args, "--as-of", AS_OF)
    assert r.code == 2, (r.out, r.err)
    assert fragment in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
