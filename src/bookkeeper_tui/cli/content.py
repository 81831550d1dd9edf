"""`bookkeeper playbook [KIND] [--band B] [--json]`: what to cover at each touchpoint.

Prints the checklist and the talk track of a touchpoint kind (core/content.py, as the
config file sets them), with the play of a health band when ``--band`` is given; without
a kind, the list of kinds and plays. Reads only the config: no book is opened.
"""

from __future__ import annotations

import argparse

from bookkeeper_tui.core.vocab import BANDS, TOUCHPOINT_ALIASES, TOUCHPOINT_KINDS


def add_parsers(sub, common) -> None:
    p = sub.add_parser(
        "playbook",
        parents=[common],
        help="the checklist and talk track of each touchpoint kind",
    )
    p.add_argument("kind", nargs="?", help="a touchpoint kind, e.g. qbr, check-in, renewal")
    p.add_argument("--band", choices=list(BANDS), help="add the play for this health band")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_playbook)


def touchpoint_kind(word: str) -> str:
    """A kind as typed (``check-in``, ``referral``, ``Mini-QBR``) -> its name, or ValueError."""
    w = word.strip().lower()
    kind = TOUCHPOINT_ALIASES.get(w, w.replace("-", "_"))
    if kind not in TOUCHPOINT_KINDS:
        raise ValueError(
            f"unknown touchpoint kind {word!r}; known kinds: {', '.join(TOUCHPOINT_KINDS)}"
        )
    return kind


def run_playbook(args: argparse.Namespace) -> int:
    from bookkeeper_tui.cli.common import EXIT_OK, UsageError, _clean, _config, _dump
    from bookkeeper_tui.core.content import guide

    cfg = _config()
    if args.kind is not None:
        try:
            kind = touchpoint_kind(args.kind)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.json:
        if args.kind is None:
            _dump(
                {
                    "content": {k: c.as_json() for k, c in cfg.content.items()},
                    "plays": {b: c.as_json() for b, c in cfg.plays.items()},
                }
            )
        else:
            _dump(guide(kind, args.band, cfg.content, cfg.plays).as_json())
        return EXIT_OK
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    con = Console(highlight=False)

    def line(*parts: str | tuple[str, str]) -> None:
        con.print(Text.assemble(*parts))

    def para(text: str) -> None:
        con.print(Padding(Text(_clean(text)), (0, 0, 0, 2), expand=False))

    if args.kind is None:
        line(("Touchpoint content", "bold"), "  (bookkeeper playbook KIND shows one in full)")
        for k, c in cfg.content.items():
            n = len(c.checklist)
            what = (f"{n} item{'' if n == 1 else 's'}", "") if n else ("no checklist", "dim")
            line(f"  {k:<17} {_clean(c.name or '-'):<36} ", what)
        line(("Plays by health band", "bold"), "  (added to every touchpoint of such an account)")
        for b, c in cfg.plays.items():
            line(f"  {b:<17} {_clean(c.name or '-'):<36} {len(c.checklist)} items")
        line(
            ("Change them in the config file: [content.KIND], [plays.BAND] (docs/config.md)", "dim")
        )
        return EXIT_OK
    g = guide(kind, args.band, cfg.content, cfg.plays)
    line((kind, "bold"), f" — {_clean(g.content.name)}" if g.content.name else "")
    if g.content.talk:
        line(("Talk track", "bold"))
        para(g.content.talk)
    if g.content.checklist:
        line(("Checklist", "bold"))
        for item in g.content.checklist:
            line(f"  [ ] {_clean(item)}")
    if not g.content.talk and not g.content.checklist:
        line(
            (
                f"No checklist or talk track for this kind; set one under [content.{kind}] "
                "in the config file (docs/config.md).",
                "dim",
            )
        )
    if g.play is not None:
        line((f"Play for {args.band} accounts — {_clean(g.play.name)}", "bold"))
        if g.play.talk:
            para(g.play.talk)
        for item in g.play.checklist:
            if item not in g.content.checklist:
                line(f"  [ ] {_clean(item)}")
    return EXIT_OK
