"""Relationships through the store and the CLI (issue 14 #3): roles and departures by quick
log, the champion search they plan, relationship flags in `show`/`accounts --json`,
first value and onboarding completion."""

from __future__ import annotations

from datetime import date

import pytest

AS_OF = "2026-11-24"
TODAY = date(2026, 11, 24)

pytestmark = pytest.mark.both_backends


@pytest.fixture
def acme(cli, book):
    # Through the store, to plan the onboarding on a fixed day (`add` plans from today).
    book.add_account("Acme Corp", "enterprise", date(2026, 11, 1), plan_on=TODAY)
    return cli


def show(cli, name="Acme Corp", as_of=AS_OF) -> dict:
    r = cli("show", name, "--json", "--as-of", as_of)
    assert r.code == 0, r.err
    return r.json()


def log(cli, line: str, as_of=AS_OF, json_out=True):
    r = cli("log", line, *(["--json"] if json_out else []), "--as-of", as_of)
    assert r.code == 0, (r.out, r.err)
    return r.json() if json_out else r.out


def contacts(cli) -> dict[str, tuple[str, str | None]]:
    return {c["name"]: (c["role"], c["left_on"]) for c in show(cli)["contacts"]}


def test_role_by_quick_log_creates_and_changes_the_contact(acme):
    out = log(acme, 'acme call with "Priya Rao" (user) "first call"')
    assert out["contact_role"] == {"from": None, "to": "end_user"}
    assert contacts(acme) == {"Priya Rao": ("end_user", None)}
    text = log(acme, "acme call with Priya (champion)", json_out=False)
    assert "Priya Rao: end user -> champion" in text
    assert contacts(acme) == {"Priya Rao": ("champion", None)}
    # No role: the role is left alone.
    out = log(acme, "acme call with Priya")
    assert out["contact_role"] is None
    assert contacts(acme)["Priya Rao"] == ("champion", None)


def test_unknown_role_is_exit_2_naming_the_token_and_saves_nothing(acme):
    r = acme("log", "acme call with Priya (boss)", "--as-of", AS_OF)
    assert r.code == 2
    assert "unknown role 'boss'" in r.err and "economic_buyer" in r.err
    assert show(acme)["contacts"] == []


def test_champion_left_plans_a_search_and_a_new_champion_closes_it(acme):
    log(acme, "acme call with Priya (champion)", as_of="2026-11-10")
    out = log(acme, 'acme note "Priya moved to Initech" with Priya (left)', as_of="2026-11-20")
    assert out["contact_left"] == "2026-11-20"
    assert {"kind": "champion_search", "due": "2026-11-27", "origin": "loop"} in out["created"]
    d = show(acme)
    assert contacts(acme)["Priya"] == ("champion", "2026-11-20")
    assert "champion_left" in [f["code"] for f in d["flags"]]
    search = [t for t in d["touchpoints"] if t["kind"] == "champion_search"]
    assert len(search) == 1 and search[0]["due"] == "2026-11-27"
    assert "Priya" in search[0]["note"]
    # Saying it twice plans it once, and keeps the day first recorded.
    out = log(acme, "acme note with Priya (left)", as_of="2026-11-22")
    assert out["contact_left"] == "2026-11-20" and out["created"] == []
    assert len([t for t in show(acme)["touchpoints"] if t["kind"] == "champion_search"]) == 1
    assert contacts(acme)["Priya"] == ("champion", "2026-11-20")
    # A new champion completes it.
    out = log(acme, "acme meeting with Raj (champion)", as_of="2026-11-24")
    assert {"kind": "champion_search", "due": "2026-11-27"} in out["completed"]
    d = show(acme)
    assert [t for t in d["touchpoints"] if t["kind"] == "champion_search"] == []
    done = [e for e in d["timeline"] if e["type"] == "touchpoint"]
    assert any(e["kind"] == "champion_search" and e["status"] == "done" for e in done)
    # With a new champion in place the "champion left" risk is over.
    assert "champion_left" not in [f["code"] for f in d["flags"]]


def test_a_non_champion_leaving_plans_nothing(acme):
    log(acme, "acme call with Dana (admin)")
    out = log(acme, "acme note with Dana (left)")
    assert out["created"] == [] and contacts(acme)["Dana"] == ("admin", AS_OF)


def test_relationship_flags_in_show_and_accounts_json(acme):
    cli = acme
    r = cli("add", "Tiny", "--tier", "smb", "--start", "2026-06-01")
    assert r.code == 0, r.err

    def codes(name):
        return [f["code"] for f in show(cli, name)["flags"]]

    def listed(name):
        r = cli("accounts", "--json", "--as-of", AS_OF)
        return next(a["flags"] for a in r.json() if a["name"] == name)

    assert "single_threaded" not in codes("Acme Corp")  # no contact known: unknown
    log(cli, "acme call with Priya (champion)")
    assert {"single_threaded", "no_economic_buyer"} <= set(codes("Acme Corp"))
    assert {"single_threaded", "no_economic_buyer"} <= set(listed("Acme Corp"))
    log(cli, "acme call with Bea (eb)")
    assert not {"single_threaded", "no_economic_buyer"} & set(codes("Acme Corp"))
    log(cli, "tiny call with Sam (champion)")
    assert "single_threaded" in codes("Tiny") and "no_economic_buyer" not in codes("Tiny")


def test_first_value_tag_and_onboarding_completion(acme):
    d = show(acme)
    assert d["first_value"] is None and d["days_to_value"] is None
    # Onboarding: welcome D+1, check-in D+7, mini-QBR D+30 were planned.
    assert d["onboarding"] == {"done": 0, "total": 3, "share": 0.0}
    log(acme, 'acme onboarding "kick-off done" @2026-11-02', as_of="2026-11-02")
    out = log(acme, 'acme note "first report live" #first-value @2026-11-16')
    assert out["first_value"] == {"date": "2026-11-16", "set": True}
    d = show(acme)
    assert (d["first_value"], d["days_to_value"]) == ("2026-11-16", 15)
    assert d["onboarding"]["done"] >= 1 and d["onboarding"]["total"] == 3
    # A later tag keeps the first date; an earlier one moves it back.
    text = log(acme, 'acme note "second team live" #first-value', json_out=False)
    assert "first value already recorded on 2026-11-16 (kept)" in text
    log(acme, "acme note #first-value @2026-11-10")
    assert show(acme)["days_to_value"] == 9


def test_show_text_prints_first_value_and_onboarding(acme):
    log(acme, "acme note #first-value @2026-11-16")
    r = acme("show", "Acme Corp", "--as-of", AS_OF)
    assert "First value 2026-11-16 (15 days after the start)" in r.out
    assert "Onboarding 0/3 done (0%)" in r.out or "Onboarding" in r.out


def test_set_contact_role_in_the_store(book):
    book.add_account("Acme Corp", tier="enterprise", start=date(2026, 1, 1))
    planned = book.set_contact_role(
        "Acme Corp", "Priya", "champion", left_on=date(2026, 11, 20), today=TODAY
    )
    assert [(p.kind, p.due) for p in planned] == [("champion_search", date(2026, 12, 1))]
    # Taking the departure back closes the search as skipped, not done.
    assert book.set_contact_role("Acme Corp", "Priya", "champion", None, today=TODAY) == []
    d = book.show("Acme Corp", TODAY)
    assert [t for t in d.touchpoints if t.kind == "champion_search"] == []
    skipped = [e for e in d.timeline if e.type == "touchpoint"]
    assert skipped[0].status == "skipped" and "did not leave" in skipped[0].reason


def test_kpi_median_days_to_value(cli, book):
    for name, start in (("A", date(2026, 3, 1)), ("B", date(2026, 5, 1)), ("C", date(2026, 7, 1))):
        book.add_account(name, "smb", start, plan_on=TODAY)
    r = cli("kpi", "--json", "--as-of", AS_OF)
    assert r.json()["median_days_to_value"] is None and r.json()["first_value_accounts"] == 0
    log(cli, "A note #first-value @2026-03-11")  # 10 days
    log(cli, "B note #first-value @2026-06-20")  # 50 days
    log(cli, "C note #first-value @2026-09-29")  # 90 days
    k = cli("kpi", "--json", "--as-of", AS_OF).json()
    assert (k["median_days_to_value"], k["first_value_accounts"]) == (50.0, 3)
    # The last 90 days: only C reached its first value in them.
    k = cli("kpi", "--json", "--as-of", AS_OF, "--period", "90d").json()
    assert (k["median_days_to_value"], k["first_value_accounts"]) == (90.0, 1)


def test_contact_import_accepts_the_quick_log_role_aliases(book, tmp_path):
    from bookkeeper_tui.io.importer import import_file

    book.add_account("Acme Corp", "enterprise", date(2026, 1, 1), plan_on=TODAY)
    path = tmp_path / "contacts.csv"
    path.write_text(
        "account,name,role\nAcme Corp,Bea,Buyer\nAcme Corp,Eve,EB\nAcme Corp,Uma,user\n"
    )
    r = import_file(book, "contacts", str(path), today=TODAY)
    assert r.rejected == []
    roles = {c.name: c.role for c in book.show("Acme Corp", TODAY).contacts}
    assert roles == {"Bea": "economic_buyer", "Eve": "economic_buyer", "Uma": "end_user"}
