"""The quick-log line: one line typed right after a call, parsed into plain data.

Grammar (docs/interfaces.md, "Quick-log line"): the account first, then in any order a kind
word, a quoted summary, `nps N` / `csat N` / `ces N`, `mrr N`, `with NAME`, `@DATE`,
`next KIND DATE` and `#tag`s; other bare words are summary text. A renewal's outcome
follows the kind word: `renewal renewed [mrr N] [term 12m]`, `renewal downgraded mrr N`,
`renewal churned ["reason"]`.

Pure on purpose: no I/O, no clock (`today` is passed in), no Textual. The CLI and the TUI
both call `parse_quicklog`, so every mistake is a `QuickLogError` carrying the offending
token's character offsets, letting the TUI underline it instead of showing a traceback.

Here: `parse_quicklog` and the clauses after the account. Its parts live beside it, and
every name is importable from here as before: the error, the result's data classes and the
tokenizer (``quicklog_tokens``), the dates (``quicklog_dates``), the keywords' values
(``quicklog_values``), the account name and its completion (``quicklog_names``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bookkeeper_tui.core import vocab
from bookkeeper_tui.core.quicklog_dates import (  # noqa: F401  (re-exported)
    _DUE_FORMS,
    _ISO,
    _REL,
    _SIGNED_REL,
    _WEEKDAYS,
    _WHEN_FORMS,
    _looks_like_date,
    _parse_any_date,
    _parse_date,
    _shift,
    parse_due,
    parse_when,
)
from bookkeeper_tui.core.quicklog_names import (  # noqa: F401  (re-exported)
    _ADD_HINT,
    _name_index,
    _resolve_account,
    account_candidates,
    complete_account,
    match_account,
)
from bookkeeper_tui.core.quicklog_tokens import (  # noqa: F401  (re-exported)
    _QUOTES,
    EMPTY_LINE,
    NextTouchpoint,
    QuickLog,
    QuickLogError,
    ScoreEntry,
    _err,
    _key,
    _show,
    _Tok,
    _tokenize,
)
from bookkeeper_tui.core.quicklog_values import (  # noqa: F401  (re-exported)
    _KEYWORDS,
    _MONEY,
    _NUMBER,
    _SCORE_KWS,
    _TERM,
    MAX_TERM_MONTHS,
    OUTCOMES,
    _is_term_value,
    _money,
    _near_keyword,
    _osa,
    _role,
    _role_after,
    _score,
    _term,
    _touchpoint_kind,
    _value,
)


def parse_quicklog(line: str, account_names: Sequence[str], today: date) -> QuickLog:
    """Parse one line; raise only QuickLogError, whatever the input."""
    try:
        return _parse(line, account_names, today)
    except QuickLogError:
        raise
    except Exception as exc:  # a bug here must not crash the TUI's input box
        raise QuickLogError(
            f"could not read the line ({type(exc).__name__}: {exc}); please report this bug"
        ) from exc


def _parse(line: str, account_names: Sequence[str], today: date) -> QuickLog:
    bad = next((i for i, ch in enumerate(line) if "\ud800" <= ch <= "\udfff"), None)
    if bad is not None:
        # Undecodable bytes (kept by Python as a lone surrogate) cannot be stored.
        raise QuickLogError(
            "the line holds bytes that are not valid UTF-8 text; retype that part "
            "(check that your terminal uses UTF-8)",
            start=bad,
            end=bad + 1,
        )
    toks = _tokenize(line)
    if not toks:
        raise QuickLogError(EMPTY_LINE)
    account, i, how = _resolve_account(toks, account_names)
    state = _Line(toks, today)
    while i < len(toks):
        t = toks[i]
        low = t.text.lower()
        if low in state.seen and low in ("mrr", "with", "next") and not t.quoted:
            raise _err(f"'{_show(t.text)}' appears twice; keep one", t)
        i = state.clause(i, t, low)
        if not t.quoted:
            state.seen.add(low)
        i += 1
    return state.result(account, how)


class _Line:
    """What the clauses after the account have said so far (one parse)."""

    def __init__(self, toks: Sequence[_Tok], today: date) -> None:
        self.toks = toks
        self.today = today
        self.kind: str | None = None
        self.quoted: list[str] = []
        self.words: list[str] = []
        self.scores: dict[str, ScoreEntry] = {}
        self.mrr: float | None = None
        self.contact: str | None = None
        self.contact_role: str | None = None
        self.contact_left = False
        self.when: date | None = None
        self.nxt: tuple[str | None, date] | None = None
        self.tags: list[str] = []
        self.seen: set[str] = set()
        self.outcome: str | None = None
        self.outcome_tok: _Tok | None = None
        self.term: int | None = None
        self.term_tok: _Tok | None = None
        self.mrr_tok: _Tok | None = None

    def _after(self, i: int) -> _Tok | None:
        return self.toks[i + 1] if i + 1 < len(self.toks) else None

    def clause(self, i: int, t: _Tok, low: str) -> int:
        """Read the clause starting at token *i*; the index of its last token."""
        if t.quoted:
            if t.text.strip():
                self.quoted.append(t.text.strip())
        elif low in vocab.QUICKLOG_KINDS:
            return self._kind(i, t, low)
        elif low == "term" and _is_term_value(self._after(i)):
            if self.term_tok is not None:
                raise _err("'term' appears twice; keep one", t)
            self.term_tok = t
            self.term = _term(self.toks[i + 1])
            return i + 1
        elif low in _SCORE_KWS:
            if low in self.scores:
                raise _err(f"{low} is given twice; keep one", t)
            lo, hi = (int(x) for x in vocab.SCORE_RANGES[low])
            val = _value(self.toks, i, f"{low} needs a number after it, from {lo} to {hi}")
            self.scores[low] = _score(low, val)
            return i + 1
        elif low == "mrr":
            self.mrr_tok = t
            self.mrr = _money(_value(self.toks, i, "mrr needs an amount after it, e.g. `mrr 1500`"))
            return i + 1
        elif low == "with":
            return self._with(i, t)
        elif low == "next":
            return self._next(i)
        else:
            self._other(i, t)
        return i

    def _kind(self, i: int, t: _Tok, low: str) -> int:
        if self.kind is not None and self.kind != low:
            raise _err(
                f"two kinds in one line ('{self.kind}' and '{_show(t.text)}'); keep one, or put "
                "the text in quotes",
                t,
            )
        self.kind = low
        after = self._after(i)
        if (
            low == "renewal"
            and after is not None
            and not after.quoted
            and after.text.lower() in OUTCOMES
        ):
            if self.outcome is not None:
                raise _err(f"a second renewal outcome '{_show(after.text)}'; keep one", after)
            self.outcome, self.outcome_tok = after.text.lower(), after
            return i + 1
        return i

    def _with(self, i: int, t: _Tok) -> int:
        missing = 'with needs a contact name after it, e.g. `with Dana` or `with "Dana Scully"`'
        c = _value(self.toks, i, missing)
        reserved = (*_KEYWORDS, *vocab.QUICKLOG_KINDS)
        bare_value = (
            c.text.lower() in reserved
            or c.text.startswith(("@", "#", "("))
            or _NUMBER.fullmatch(c.text)
        )
        if not c.text.strip() or (not c.quoted and bare_value):
            raise _err(missing, t)
        contact = self.contact = " ".join(c.text.split())
        i += 1
        # `with NAME (ROLE)` / `with NAME (left)`; also written `with Priya(champion)`.
        glued = None
        if not c.quoted and "(" in c.text:
            k = c.text.index("(")
            glued = _Tok(c.text[k:], c.start + k, c.end)
            contact = self.contact = c.text[:k]
        nxt_tok = self._after(i)
        if glued is not None or (
            nxt_tok is not None and not nxt_tok.quoted and nxt_tok.text.startswith("(")
        ):
            role_tok, i = _role_after(self.toks, i + 1, glued, contact)
            self.contact_role, self.contact_left = _role(role_tok, contact)
            after = self._after(i)
            if after is not None and not after.quoted and after.text.startswith("("):
                raise _err(
                    f"give {_show(contact)} one role in parentheses, e.g. "
                    f'`with "{_show(contact)}" (champion)`',
                    after,
                )
        return i

    def _next(self, i: int) -> int:
        k = _value(self.toks, i, "next needs a touchpoint kind and a date, e.g. `next call +2w`")
        tp_kind = _touchpoint_kind(k.text)
        if tp_kind is None:
            try:
                self.nxt = (None, parse_due(k.text, self.today))
            except ValueError as exc:
                if _looks_like_date(k.text):
                    raise _err(str(exc), k) from None
                raise _err(
                    f"unknown touchpoint kind '{_show(k.text)}' after next; use one of "
                    f"{', '.join(vocab.TOUCHPOINT_KINDS)}, or a date like "
                    "`next +2w`",
                    k,
                ) from None
            return i + 1
        d = _value(self.toks, i + 1, f"next {tp_kind} needs a date after it; use {_DUE_FORMS}")
        try:
            self.nxt = (tp_kind, parse_due(d.text, self.today))
        except ValueError as exc:
            raise _err(str(exc), d) from None
        return i + 2

    def _other(self, i: int, t: _Tok) -> None:
        """@DATE, #tag, a misplaced number or date, a misspelt keyword, or summary text."""
        if t.text.startswith("@"):
            if self.when is not None:
                raise _err(f"a second @DATE '{_show(t.text)}'; keep one", t)
            try:
                self.when = parse_when(t.text, self.today)
            except ValueError as exc:
                raise _err(str(exc), t) from None
        elif t.text.startswith("#"):
            tag = t.text.lstrip("#").lower()
            if not tag:
                raise _err("'#' needs a tag name right after it, e.g. #expansion", t)
            if tag not in self.tags:
                self.tags.append(tag)
        elif _NUMBER.fullmatch(t.text):
            raise _err(
                f"unexpected number '{_show(t.text)}'; put it after nps/csat/ces/mrr or inside "
                "the quoted summary",
                t,
            )
        elif _SIGNED_REL.fullmatch(t.text):
            raise _err(
                f"unexpected date '{_show(t.text)}'; use `next KIND {_show(t.text)}` to "
                "schedule, or @DATE for when it happened",
                t,
            )
        elif guess := _near_keyword(t.text, self._after(i)):
            raise _err(f"unknown token '{_show(t.text)}'; did you mean '{guess}'?", t)
        else:
            self.words.append(t.text)

    def _check_outcome(self) -> None:
        """A term, and the MRR, as the renewal outcome allows (a churn's MRR becomes 0)."""
        outcome, mrr, mrr_tok = self.outcome, self.mrr, self.mrr_tok
        if self.term_tok is not None and outcome not in ("renewed", "downgraded"):
            raise _err(
                "a term goes with a renewal outcome, e.g. `renewal renewed term 12m`"
                + ("; a churned renewal has no next term" if outcome == "churned" else ""),
                self.term_tok,
            )
        if outcome == "churned":
            if mrr is not None and mrr != 0 and mrr_tok is not None:
                raise _err(
                    "a churned renewal ends the MRR (it becomes 0); drop `mrr N`, or write "
                    "`renewal downgraded mrr N` if they stay on a smaller plan",
                    mrr_tok,
                )
            self.mrr = 0.0
        elif outcome == "downgraded" and self.outcome_tok is not None:
            if mrr is None:
                raise _err(
                    "downgraded needs the new MRR, e.g. `renewal downgraded mrr 900`",
                    self.outcome_tok,
                )
            if mrr == 0 and mrr_tok is not None:
                raise _err(
                    'a downgrade to MRR 0 is a churn; write `renewal churned "reason"`', mrr_tok
                )
        elif outcome == "renewed" and mrr == 0 and mrr_tok is not None:
            raise _err('a renewal at MRR 0 is a churn; write `renewal churned "reason"`', mrr_tok)

    def result(self, account: str, how: str) -> QuickLog:
        final_kind = self.kind or "call"
        self._check_outcome()
        nxt_tp = None
        if self.nxt is not None:
            default = final_kind if final_kind in vocab.TOUCHPOINT_KINDS else "call"
            nxt_tp = NextTouchpoint(self.nxt[0] or default, self.nxt[1])
        words = self.words
        return QuickLog(
            account=account,
            kind=final_kind,
            summary=" ".join([*self.quoted, *([" ".join(words)] if words else [])]),
            scores=tuple(self.scores.values()),
            mrr=self.mrr,
            contact=self.contact,
            contact_role=self.contact_role,
            contact_left=self.contact_left,
            when=self.when if self.when is not None else self.today,
            dated=self.when is not None,
            next=nxt_tp,
            tags=tuple(self.tags),
            outcome=self.outcome,
            term_months=self.term,
            account_match=how,
        )
