"""The benchmark's book: build or reuse the demo book, copy it, grow one long timeline."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

TIMELINE_ENTRIES = 2_000


def sidecar(db: Path) -> Path:
    return db.with_name(db.name + ".bench.json")


def count_accounts(db: Path) -> int | None:
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return int(con.execute("SELECT count(*) FROM account").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return None


def synced_on(db: Path) -> date | None:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'synced_on'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return date.fromisoformat(row[0]) if row else None


def ensure_book(
    db: Path, accounts: int, as_of: date | None, force: bool = False, seed: int = 7
) -> dict:
    """Reuse *db* when it holds *accounts* accounts, else build the demo book there.

    Returns {"as_of", "demo_build_s", "built": bool, "built_at"}. Refuses to replace a
    non-empty book the benchmark did not build, unless *force*.
    """
    have = count_accounts(db)
    meta_file = sidecar(db)
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    if have == accounts:
        day = as_of or (date.fromisoformat(meta["as_of"]) if "as_of" in meta else None)
        day = day or synced_on(db) or date.today()
        return {
            "as_of": day,
            "demo_build_s": meta.get("demo_build_s"),
            "built": False,
            "built_at": meta.get("built_at"),
        }
    if have and not meta and not force:
        raise SystemExit(
            f"bench: {db} holds {have} accounts, not {accounts}, and was not built by this "
            "benchmark; pass --force to replace it with a demo book, or another --db"
        )
    from bookkeeper_tui.store.book import Book
    from bookkeeper_tui.store.demo import build_demo

    day = as_of or date.today()
    db.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    book = Book.open(str(db))
    try:
        build_demo(book, accounts=accounts, seed=seed, as_of=day)
    finally:
        book.close()
    seconds = time.perf_counter() - t0
    built_at = datetime.now(UTC).isoformat(timespec="seconds")
    meta_file.write_text(
        json.dumps(
            {
                "accounts": accounts,
                "seed": seed,
                "as_of": day.isoformat(),
                "demo_build_s": round(seconds, 2),
                "built_at": built_at,
            },
            indent=2,
        )
        + "\n"
    )
    return {"as_of": day, "demo_build_s": round(seconds, 2), "built": True, "built_at": built_at}


def copy_book(src: Path, dst: Path) -> None:
    """A consistent copy (the WAL included) through SQLite's backup API."""
    a = sqlite3.connect(str(src))
    b = sqlite3.connect(str(dst))
    try:
        with b:
            a.backup(b)
    finally:
        a.close()
        b.close()


SUMMARIES = [
    "weekly sync: adoption on track",
    "walked through the new reporting module",
    "asked about SSO and the API limits",
    "renewal prep: pricing questions",
    "they mentioned budget cuts and a competitor",
    "onboarding the new admin",
    "support escalation follow-up",
    "champion is happy with the rollout",
]


def grow_timeline(book, as_of: date, target: int = TIMELINE_ENTRIES) -> tuple[str, int]:
    """Give the first active account about *target* timeline entries; return (name, entries).

    Two thirds interactions, one third scores (usage and NPS), spread over the account's
    life up to *as_of*, written with bulk inserts in one ``book.write()`` transaction.
    """
    from sqlalchemy import insert, select

    from bookkeeper_tui.store.models import Account, Contact, Interaction, Score

    with book.read() as s:
        acc = s.execute(
            select(Account).where(Account.status == "active").order_by(Account.id).limit(1)
        ).scalar_one()
        contacts = list(s.execute(select(Contact.id).where(Contact.account_id == acc.id)).scalars())
    have = len(book.show(acc.name, as_of).timeline)
    missing = max(0, target - have)
    rng = random.Random(2000)
    start = acc.start
    span = max(1, (as_of - start).days)
    now = datetime.now(UTC)
    n_int = missing * 2 // 3
    inter = [
        {
            "account_id": acc.id,
            "contact_id": rng.choice(contacts) if contacts else None,
            "kind": rng.choice(["call", "call", "meeting", "email", "note", "qbr"]),
            "day": start + timedelta(days=rng.randint(0, span)),
            "at": None,
            "summary": rng.choice(SUMMARIES),
            "notes": "",
            "sentiment": None,
            "tags": rng.choice(["", "", "bench", "api"]),
            "external_id": None,
            "created_at": now,
        }
        for _ in range(n_int)
    ]
    scores = []
    for _ in range(missing - n_int):
        kind = rng.choice(["usage", "nps"])
        scores.append(
            {
                "account_id": acc.id,
                "contact_id": rng.choice(contacts) if contacts and kind == "nps" else None,
                "interaction_id": None,
                "kind": kind,
                "value": float(rng.randint(0, 100) if kind == "usage" else rng.randint(0, 10)),
                "day": start + timedelta(days=rng.randint(0, span)),
                "external_id": None,
            }
        )
    with book.write() as s:
        if inter:
            s.execute(insert(Interaction), inter)
        if scores:
            s.execute(insert(Score), scores)
        # Its health and plan follow the new history at the app's first sync.
        book.mark_stale(s, [acc.id])
    return acc.name, len(book.show(acc.name, as_of).timeline)
