"""Issue 15 #1: the account screen's health history comes from the book as typed points
(``Book.health_history``), not from a query of the screen's own."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from bookkeeper_tui.store.book import Book, HealthPoint
from bookkeeper_tui.store.models import HealthSnapshot

pytestmark = pytest.mark.both_backends

TODAY = date(2026, 11, 24)


@pytest.fixture
def two(book: Book) -> Book:
    """Two accounts with hand-written snapshots (one unscored, one after TODAY)."""
    book.add_account("Acme", "smb", date(2025, 1, 1), mrr=100, plan_on=TODAY)
    book.add_account("Globex", "smb", date(2025, 1, 1), mrr=100, plan_on=TODAY)
    with book.write() as s:
        acme = book.find_account(s, "Acme")
        globex = book.find_account(s, "Globex")
        for acc in (acme, globex):
            s.execute(HealthSnapshot.__table__.delete().where(HealthSnapshot.account_id == acc.id))
        # Written out of order: the history is by day, oldest first.
        for offset, score in ((-1, 70.5), (-10, 40.0), (-5, None), (1, 99.0), (0, 55.0)):
            band = None if score is None else "yellow"
            day = TODAY + timedelta(days=offset)
            s.add(HealthSnapshot(account_id=acme.id, day=day, score=score, band=band))
        s.add(HealthSnapshot(account_id=globex.id, day=TODAY, score=12.0, band="red"))
    return book


def test_the_history_is_the_scored_days_up_to_as_of_oldest_first(two):
    points = two.health_history("Acme", TODAY)
    assert points == [
        HealthPoint(TODAY - timedelta(days=10), 40.0),
        HealthPoint(TODAY - timedelta(days=1), 70.5),
        HealthPoint(TODAY, 55.0),
    ]
    assert all(isinstance(p.day, date) and isinstance(p.score, float) for p in points)
    assert [p.score for p in two.health_history("Acme", TODAY - timedelta(days=2))] == [40.0]


def test_each_account_has_its_own_history_and_an_unknown_one_none(two):
    assert two.health_history("Globex", TODAY) == [HealthPoint(TODAY, 12.0)]
    assert two.health_history("Nobody", TODAY) == []


def test_a_point_is_a_frozen_value():
    point = HealthPoint(TODAY, 50.0)
    assert (point.day, point.score) == (TODAY, 50.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.score = 1.0  # type: ignore[misc]
