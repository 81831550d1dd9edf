"""What to cover at each touchpoint: a checklist and a short talk track, plus a play by band.

Pure: plain data in, plain data out (no Textual, no database). The defaults below are
written from the source documents (the first-year touchpoints, the closed loop, the
health-based plays: see docs/domain.md and docs/rules.md "Touchpoint content"); the
config file replaces any of them (``[content.<kind>]`` and ``[plays.<band>]``,
docs/config.md). When a touchpoint is logged from Today, the app shows the kind's talk
track and checklist with the account's band play added; the ticked items are saved with
the interaction as a JSON list of their texts.

This module imports nothing from the rest of the package, so config.py can take its
defaults from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: At most this many checklist items per touchpoint or play, and this long each.
MAX_ITEMS = 12
MAX_ITEM_CHARS = 120
MAX_TALK_CHARS = 800
MAX_NAME_CHARS = 60
#: The most items one interaction keeps (a touchpoint's and its play's, or `--check`s).
MAX_TICKED = 2 * MAX_ITEMS


@dataclass(frozen=True)
class TouchpointContent:
    """A short name, the checklist and the talk track of one touchpoint kind (or play)."""

    name: str = ""
    checklist: tuple[str, ...] = ()
    talk: str = ""

    def as_json(self) -> dict:
        return {"name": self.name, "checklist": list(self.checklist), "talk": self.talk}


def _c(name: str, checklist: list[str], talk: str) -> TouchpointContent:
    return TouchpointContent(name, tuple(checklist), " ".join(talk.split()))


#: Every planned touchpoint kind (the playbook's, then the closed loop's), in the order of
#: core.vocab.TOUCHPOINT_KINDS. The free kinds a quick-log ``next`` plans (call, meeting,
#: email, onboarding) have empty content: the config may give them some.
DEFAULT_CONTENT: dict[str, TouchpointContent] = {
    "welcome": _c(
        "welcome / kick-off",
        [
            "Introduce the success owner and how to reach them",
            "Agree 2-3 measurable 90-day objectives",
            "Define first value: what it looks like and by when",
            "Plan the onboarding milestones: who does what",
            "Send getting-started resources and support contacts",
        ],
        """Thanks for choosing us: I'm your success owner from now on, and my job is that
        you get the result you bought us for. Let's agree two or three concrete objectives
        for the next 90 days and what first value will look like, so we both know what
        success means. Right after this call I'll send the onboarding plan, the
        getting-started guides and how to reach support.""",
    ),
    "check_in": _c(
        "check-in",
        [
            "Confirm they have started using the product",
            "Ask about technical or adoption blockers",
            "Check the onboarding plan / objectives are on track",
            "Take one blocker away, or escalate it with a date",
        ],
        """A short check-in, fifteen to twenty minutes. Have you been able to use the
        product the way you planned since we last spoke? Is anything technical or on the
        team's side getting in the way? If there is a blocker, I'll take it today and come
        back to you with a date.""",
    ),
    "mini_qbr": _c(
        "mini-QBR + first NPS",
        [
            "Review actual usage: which features, how many users",
            "Compare the results with the expected ROI",
            "Check progress on the 90-day objectives",
            "Ask for the first NPS score (0-10) and its reason",
            "Agree next steps for what is not adopted yet",
        ],
        """A month in, I'd like to look at how you're actually using the product and
        whether it's giving the return you expected. Which features do you use, and which
        not yet? And one formal question: from 0 to 10, how likely are you to recommend us
        to a colleague, and why?""",
    ),
    "qbr": _c(
        "quarterly business review",
        [
            "Review outcomes against the agreed objectives",
            "Share usage trends and one benchmark or best practice",
            "Surface risks: open issues, sponsor changes, budget",
            "If healthy: propose a success story (testimonial, logo, reference)",
            "If not: agree a recovery plan with owners and dates",
            "Set the goals for next quarter together",
        ],
        """Let's review the quarter against the goals we set: what worked, what didn't,
        and what the numbers say. If you're getting the results, would you be open to
        telling that story in a short case study, a quote or a reference call? If not,
        let's build a recovery plan today with owners and dates, and agree what next
        quarter must deliver.""",
    ),
    "expansion": _c(
        "expansion conversation",
        [
            "Ask about new needs and goals since the start",
            "Find other teams or departments with the same problem",
            "Check usage against plan limits (seats, volume, modules)",
            "Frame the next plan or module as more value, not more price",
            "Agree a next step and who decides",
        ],
        """Six months in, I'd like to hear what has changed on your side: new goals, new
        teams, new problems. Are there other departments with the problem you bought us
        for? If you're close to your plan's limits, let's see whether the next plan or an
        extra module would pay for itself.""",
    ),
    "renewal": _c(
        "renewal + referral ask",
        [
            "Review the full year: goals, results, ROI",
            "Present the renewal proposal (ideally with an upgrade)",
            "Confirm the decision maker, timeline and paperwork",
            "Raise open risks and objections now, not at the deadline",
            "Promoters only: ask for a referral to a similar company",
        ],
        """Before your renewal, let's look back at the year: what you set out to do, what
        you achieved and what it returned. Here is our proposal for the next term; is there
        anything that would stop you renewing? If the year went well: do you know another
        [role] at a [kind of company] facing the problem you had?""",
    ),
    "nps_ask": _c(
        "NPS ask",
        [
            "Ask: how likely are you to recommend us, 0-10?",
            "Ask why: the open-text reason is the diagnosis",
            "Log the score against the contact (and their role)",
            "Thank them and say what happens with the answer",
        ],
        """One question, ten seconds: from 0 to 10, how likely are you to recommend us to a
        colleague? And what is the main reason for your score? We read every answer and act
        on it.""",
    ),
    "ces_check": _c(
        "pre-renewal effort check (CES)",
        [
            "Ask: how easy is it to keep working with us, 1-7?",
            "Ask where the friction is: billing, support, product",
            "Log the CES score",
            "Fix or plan the friction before the renewal talk",
        ],
        """Your renewal is coming up, and before we talk about it I'd like an honest answer:
        from 1 to 7, how easy is it to keep working with us? Where do you lose time with us:
        billing, support, the product itself? Whatever you name, I'll try to fix it before
        the renewal conversation.""",
    ),
    "follow_up": _c(
        "detractor follow-up",
        [
            "Call within 24-48 hours of the low score",
            "Acknowledge the specific problem, no canned apology",
            "Find the root cause: product, support or expectations",
            "Agree one specific next step with a date",
            "Say when you will check back (resolution check)",
        ],
        """Thank you for the honest score: I'd rather hear it from you than find out later.
        Can you tell me what went wrong? Here is what I'll do about it and by when, and I'll
        check back with you in a week to make sure it's fixed.""",
    ),
    "resolution_check": _c(
        "resolution check",
        [
            "Confirm the promised fix happened",
            "Ask whether the problem is solved for them",
            "Log the outcome, and a new score if they give one",
            "Still open: escalate it today",
        ],
        """Last week you told us about a problem and we promised a fix. Is it solved for
        you? If it isn't, I'll escalate it today: you shouldn't have to chase us.""",
    ),
    "referral_ask": _c(
        "referral ask",
        [
            "Open with the recent success or their promoter score",
            "Ask specifically: another [role] at a [type of company]",
            "Make it easy: offer a two-line intro they can forward",
            "Also ask for a case study, a review or a reference call",
            "Thank them, whatever the answer",
        ],
        """You told us you'd recommend us, and that means a lot. Do you know another [role]
        at a [type of company] struggling with the problem you had? I can send you a
        two-line intro to forward, so it takes you a minute.""",
    ),
    "intervention": _c(
        "intervention (health fell into red)",
        [
            "Read the health breakdown: what dropped, and since when",
            "Reach the champion and the economic buyer within 2 days",
            "Name the problem and agree a recovery plan",
            "Set owners, dates and a weekly check until it recovers",
        ],
        """We've seen [usage / tickets / scores] change recently and want to get ahead of
        it. What has changed on your side? Let's agree a short recovery plan with clear
        owners and dates, and I'll check in every week until we're back on track.""",
    ),
    "champion_search": _c(
        "find a new champion (the champion left)",
        [
            "Ask the departing champion for a warm introduction to a successor",
            "Map who uses the product most and who owns the budget now",
            "Meet the likely new champion: their goals, and what success means to them",
            "Re-share the success plan and the value delivered so far",
            "Record the new champion's role (with NAME (champion))",
        ],
        """Congratulations to [name] on the move. We want to keep the results your team has
        been getting, so who is taking over [name]'s part of the project? I'd like to walk
        them through what we set out to do, what has been delivered so far and what comes
        next, and hear what success looks like for them.""",
    ),
    "call": TouchpointContent(),
    "meeting": TouchpointContent(),
    "email": TouchpointContent(),
    "onboarding": TouchpointContent(),
}

#: The play by health band, added to every touchpoint of an account in that band.
DEFAULT_PLAYS: dict[str, TouchpointContent] = {
    "green": _c(
        "advocacy ask",
        [
            "Ask for a referral to a named peer role and company type",
            "Propose a case study or a testimonial",
            "Ask for a public review or to be a reference",
            "Invite them to a customer advisory board or beta",
        ],
        """Healthy: this is the moment to ask. Ask for one specific thing (a referral, a
        case study, a review), ideally right after a success, and make it easy to say
        yes.""",
    ),
    "yellow": _c(
        "nurture",
        [
            "Recap the value delivered so far, with numbers",
            "Offer training or office hours where adoption is thin",
            "Check adoption of the key features; suggest the next one",
            "Confirm the champion is still engaged and in role",
        ],
        """Neither at risk nor an advocate yet: bring value before asking for anything.
        Recap what they've achieved, offer training where usage is thin, and make sure the
        champion still owns the relationship.""",
    ),
    "red": _c(
        "executive outreach / save plan",
        [
            "Bring in an executive sponsor on both sides",
            "Agree a written save plan with owners and dates",
            "Use a pre-approved save offer if it helps (extension, training)",
            "Meet weekly until the account is out of red",
        ],
        """Below 60, someone has to act now. Escalate to an executive conversation, agree a
        written save plan with owners and dates, use a pre-approved save offer if it helps,
        and check in weekly until the score recovers.""",
    ),
}


@dataclass(frozen=True)
class Guide:
    """What the app shows when a touchpoint is logged: its content plus the band play."""

    kind: str
    band: str | None
    content: TouchpointContent
    play: TouchpointContent | None

    @property
    def items(self) -> tuple[str, ...]:
        """The touchpoint's checklist, then the play's, each item once."""
        extra = self.play.checklist if self.play else ()
        return tuple(dict.fromkeys((*self.content.checklist, *extra)))

    @property
    def empty(self) -> bool:
        return not self.items and not self.content.talk and not (self.play and self.play.talk)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "band": self.band,
            **self.content.as_json(),
            "play": None if self.play is None else {"band": self.band, **self.play.as_json()},
            "items": list(self.items),
        }


def guide(
    kind: str,
    band: str | None,
    content: dict[str, TouchpointContent] | None = None,
    plays: dict[str, TouchpointContent] | None = None,
) -> Guide:
    """The content for a touchpoint of *kind* on an account in *band* (None: unknown).

    *content* and *plays* are the config's (defaults when None). An unknown kind has
    no content of its own but still gets the band play; an account without a band
    (no health data yet) gets no play.
    """
    content = DEFAULT_CONTENT if content is None else content
    plays = DEFAULT_PLAYS if plays is None else plays
    own = content.get(kind) or TouchpointContent()
    play = plays.get(band) if band else None
    if play is not None and not play.checklist and not play.talk:
        play = None
    return Guide(kind, band, own, play)


def content_problem(item: TouchpointContent, where: str) -> str | None:
    """Why a configured touchpoint content or play cannot be used, or None."""
    if len(item.name) > MAX_NAME_CHARS:
        return f"config: {where}.name is longer than {MAX_NAME_CHARS} characters"
    if len(item.talk) > MAX_TALK_CHARS:
        return (
            f"config: {where}.talk is longer than {MAX_TALK_CHARS} characters; "
            "keep a talk track to a few sentences"
        )
    if len(item.checklist) > MAX_ITEMS:
        return f"config: {where}.checklist has more than {MAX_ITEMS} items"
    seen: set[str] = set()
    for n, text in enumerate(item.checklist, 1):
        if not text.strip():
            return f"config: {where}.checklist item {n} is empty"
        if len(text) > MAX_ITEM_CHARS:
            return (
                f"config: {where}.checklist item {n} is longer than {MAX_ITEM_CHARS} "
                "characters; make it a short action"
            )
        if not text.isprintable():
            return f"config: {where}.checklist item {n} contains a control character"
        key = " ".join(text.split()).casefold()
        if key in seen:
            return f"config: {where}.checklist lists {text.strip()!r} twice"
        seen.add(key)
    return None


def clean_ticked(items: list[str] | tuple[str, ...]) -> list[str]:
    """Ticked items as stored: spaces collapsed, each once, in order.

    Raises ValueError with a sentence naming the bad item (empty, too long, too many).
    """
    out: list[str] = []
    for raw in items:
        if not isinstance(raw, str):
            raise ValueError(f"a checklist item must be text, got {type(raw).__name__}")
        text = " ".join(raw.split())
        if not text:
            raise ValueError("a checklist item is empty; give its text, e.g. --check 'agenda sent'")
        if len(text) > MAX_ITEM_CHARS:
            raise ValueError(
                f"the checklist item {text[:30]!r}… is longer than {MAX_ITEM_CHARS} "
                "characters; make it a short action"
            )
        if text not in out:
            out.append(text)
    if len(out) > MAX_TICKED:
        raise ValueError(f"at most {MAX_TICKED} checklist items can be saved with one interaction")
    return out


def dump_ticked(items: list[str]) -> str:
    """The ``interaction.checklist`` column: a JSON list, or '' when nothing was ticked."""
    return json.dumps(items, ensure_ascii=False) if items else ""


def load_ticked(raw: str | None) -> list[str]:
    """The ticked items of an ``interaction.checklist`` value; never raises.

    A damaged value (not JSON, not a list) reads as nothing ticked; non-text entries
    are dropped.
    """
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return []
    if not isinstance(data, list):
        return []
    return [x for x in data if isinstance(x, str) and x.strip()]
