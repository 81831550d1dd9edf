"""Memory: the account states of a large book hold plain, shared values (issue 16)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bookkeeper_tui.config import Config
from bookkeeper_tui.store.models import Account
from bookkeeper_tui.store.state import AccountRow, load_states
from bookkeeper_tui.store.state_facts import Facts
from tests.conftest import TODAY


def test_states_hold_plain_account_rows_not_orm_objects(demo_book):
    with demo_book.read() as s:
        states = load_states(s, TODAY, Config())
        accounts = {a.id: a for a in s.exec(select(Account))}
    assert states
    for aid, st in states.items():
        assert type(st.account) is AccountRow
        orm = accounts[aid]
        for name in AccountRow.__dataclass_fields__:
            assert getattr(st.account, name) == getattr(orm, name), name


def test_equal_values_read_for_many_accounts_are_one_object(demo_book):
    """Tiers, days and (day, MRR) points that many accounts share are held once."""
    with demo_book.read() as s:
        states = load_states(s, TODAY, Config())
    tiers = {st.account.tier for st in states.values()}
    assert len({id(st.account.tier) for st in states.values()}) == len(tiers)
    components = [st.previous_components for st in states.values() if st.previous_components]
    pairs = [pair for comps in components for pair in comps]
    assert len(pairs) > len(set(pairs)), "the demo's snapshots repeat (component, value)"
    assert len({id(p) for p in pairs}) == len(set(pairs))


def test_facts_hold_each_value_once():
    facts = Facts()
    day = date(2026, 11, 24)
    first = facts.one((day, 80.0))
    again = facts.one((date(2026, 11, 24), 80.0))
    assert again is first and again[0] is day
    assert facts.one((day, 81.0)) == (day, 81.0) and facts.one((day, 81.0)) is not first


def test_equal_health_components_flags_and_next_steps_are_one_object(demo_book):
    with demo_book.read() as s:
        states = load_states(s, TODAY, Config())
    for values in (
        [c for st in states.values() for c in st.health.components],
        [fl for st in states.values() for fl in st.flags],
        [st.next_touchpoint.kind for st in states.values() if st.next_touchpoint],
    ):
        assert len(values) > len(set(values)), "the demo repeats them"
        assert len({id(v) for v in values}) == len(set(values))
