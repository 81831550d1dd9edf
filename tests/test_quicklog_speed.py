"""The quick log at 10,000 accounts (issue 16): what runs on every keystroke stays cheap.

The line is parsed again on every change of the input, against every account name, and
the input offers a completion of the account name on every change too. The names are
indexed once per list of names, a close spelling is searched once per typed name, and the
completion looks at prefix matches alone, all without changing an answer.
"""

from __future__ import annotations

import difflib
import sys
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bookkeeper_tui.core import quicklog
from bookkeeper_tui.core.quicklog import (
    QuickLogError,
    account_candidates,
    complete_account,
    parse_quicklog,
)

TODAY = date(2026, 11, 24)
NAMES = [f"Company {i:04d} {w}" for i, w in enumerate(["North", "South", "East"] * 700)]
NAMES += ["Acme Corp", "Initech"]


def _module_of_the_account_resolver():
    return sys.modules[quicklog._resolve_account.__module__]


def test_the_names_are_indexed_once_per_list_of_names(monkeypatch):
    line = 'acme call "wants SSO" next call +2w #expansion'
    parse_quicklog(line, list(NAMES), TODAY)
    module = _module_of_the_account_resolver()
    calls = []
    real = module._key

    def counting(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(module, "_key", counting)
    # The same names in a new list (the screen reloads them after a save): no new index.
    q = parse_quicklog(line + " more", list(NAMES), TODAY)
    assert q.account == "Acme Corp"
    assert len(calls) <= 8  # the typed words only, not the 2,100 names


def test_a_close_spelling_is_searched_among_few_names_and_once(monkeypatch):
    first = parse_quicklog("acmee call", NAMES, TODAY)
    assert (first.account, first.account_match) == ("Acme Corp", "fuzzy")
    searched: list[int] = []
    real = difflib.get_close_matches

    def counting(word, possibilities, *args, **kwargs):
        searched.append(len(possibilities))
        m = len(word)
        assert all(2 * min(m, len(x)) / (m + len(x)) >= 0.8 for x in possibilities)
        return real(word, possibilities, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    for tail in ("call", "call h", "call he", 'call "hello"'):
        q = parse_quicklog(f"acmee {tail}", NAMES, TODAY)
        assert (q.account, q.account_match) == ("Acme Corp", "fuzzy")
    # "acmee call" was searched already; each keystroke after it adds one run at most,
    # searched among the names of a length that can be that close (asserted above).
    assert len(searched) <= 2


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="abcd e", min_size=1, max_size=9), min_size=1, max_size=15),
    st.lists(st.text(alphabet="abcde", min_size=1, max_size=5), min_size=1, max_size=4),
)
def test_close_spellings_are_difflibs(names, typed):
    """The same accounts, in the same order, as get_close_matches over every name."""
    toks = " ".join(typed)
    try:
        got = parse_quicklog(toks + " call", names, TODAY)
    except QuickLogError as exc:
        got = exc.message
    expected = _old_fuzzy(toks + " call", names)
    if expected is None:
        assert isinstance(got, str) or got.account_match != "fuzzy"
    elif expected == "several":
        assert isinstance(got, str) and "matches several accounts" in got
    else:
        assert not isinstance(got, str) and (got.account, got.account_match) == (expected, "fuzzy")


def _old_fuzzy(line: str, names: list[str]) -> str | None:
    """Step c. of the account resolver before the index: every name searched."""
    by_key: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        by_key.setdefault(quicklog._key(name), []).append(name)
    by_key.pop("", None)
    keys = [quicklog._key(t) for t in line.split()][:8]
    if not by_key or any(k.startswith(keys[0]) for k in by_key) or " ".join(keys) in by_key:
        return None
    all_keys = list(by_key)
    first_words: dict[str, list[str]] = {}
    for kk in all_keys:
        first_words.setdefault(kk.split(" ")[0], []).append(kk)
    for k in range(len(keys), 0, -1):
        hits = difflib.get_close_matches(" ".join(keys[:k]), all_keys, len(all_keys), 0.8)
        if k == 1:
            words = difflib.get_close_matches(keys[0], list(first_words), len(all_keys), 0.8)
            hits += [kk for w in words for kk in first_words[w]]
        if hits:
            found = list(dict.fromkeys(n for kh in dict.fromkeys(hits) for n in by_key[kh]))
            return found[0] if len(found) == 1 else "several"
    return None


def test_a_new_list_of_names_is_indexed_again():
    assert parse_quicklog("zed call", [*NAMES, "Zed Ltd"], TODAY).account == "Zed Ltd"
    try:
        parse_quicklog("zed call", NAMES, TODAY)
    except QuickLogError as exc:
        assert "no account matches" in exc.message
    else:
        raise AssertionError("Zed Ltd is not in the book any more")


def _old_completion(value: str, names: list[str]) -> str | None:
    """AccountSuggester.get_suggestion before complete_account (the same answer)."""
    folded = value.casefold()
    for name in account_candidates(value, names, limit=5):
        if name.casefold().startswith(folded) and len(name) > len(value):
            return name
    return None


def test_completion_runs_no_fuzzy_pass_once_past_the_name(monkeypatch):
    line = 'Acme Corp call with Dana nps 9 "wants SSO" next call +2w #expansion'

    def refused(*args, **kwargs):
        raise AssertionError("a fuzzy pass over every name on a keystroke")

    monkeypatch.setattr(difflib, "SequenceMatcher", refused)
    assert complete_account(line, NAMES) is None
    assert complete_account("acm", NAMES) == "Acme Corp"
    assert complete_account("company 0001", NAMES) == "Company 0001 South"


_name = st.text(alphabet="aAbBcß  -.é", min_size=0, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(_name, max_size=12), _name, st.integers(1, 6))
def test_completion_is_the_first_candidate_that_starts_with_the_value(names, value, limit):
    folded = value.casefold()
    expected = next(
        (
            n
            for n in account_candidates(value, names, limit=limit)
            if n.casefold().startswith(folded) and len(n) > len(value)
        ),
        None,
    )
    assert complete_account(value, names, limit=limit) == expected
    if limit == 5:
        assert complete_account(value, names) == _old_completion(value, names)
