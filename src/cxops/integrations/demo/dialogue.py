"""Turn-level transcripts that follow the resolution guide: greet, verify, look up, check, confirm, act, close.

The wording depends on the agent's quality (empathetic and complete for strong agents, terse for weak ones),
the customer's words depend on the intent and on how they feel, and the customer's sentiment moves from a
starting value towards an end value set by the outcome (see `sentiment_path`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from cxops.integrations.demo.catalogue import FAMILY_ASK, FAMILY_ELIGIBLE, FAMILY_LOOKUP, Intent

PLANS = ("Basic", "Plus", "Premium", "Family", "Business")
DEVICES = ("smart speaker", "router", "tablet", "smart watch", "Android phone", "iPhone", "laptop")
DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "web.de")
CURRENCY = {"emea": "€", "amer": "$", "apac": "A$"}
NEG = ("That's really not good enough.", "Honestly, this is so frustrating.", "I've been waiting ages for this.",
       "Why does this keep happening?", "This is ridiculous.", "I'm not happy about this at all.")  # fmt: skip
NEUTRAL = ("Okay.", "Right, I see.", "Sure.", "Okay, go on.", "Alright.", "Hmm, okay.")
POS = ("Oh great, thank you!", "That's brilliant, thanks.", "Perfect, that's really helpful.",
       "Lovely, thanks so much.", "Brilliant, that's a relief.")  # fmt: skip
FILLERS = (
    ("Sorry, could you repeat that? The line is a bit quiet.", "Yes, sorry. {again}"),
    ("Bear with me one moment while I check that.", "Sure, no problem."),
    ("Can I just double-check I've got that right?", "Yes, that's right."),
    ("Are you still there?", "Yes, I'm here."),
)


@dataclass(slots=True)
class Speakers:
    """Who speaks for the contact centre: the primary agent, an AI agent first, and a second agent."""

    agent: str | None = None
    agent_name: str = ""
    quality: float = 0.7
    ai: str | None = None
    ai_name: str = ""
    second: str | None = None
    second_name: str = ""


@dataclass(slots=True)
class Script:
    """A transcript before timing: (speaker, text, agent code, sentiment) and where participants joined."""

    turns: list[tuple[str, str, str | None, float | None]] = field(default_factory=list)
    joins: dict[str, int] = field(default_factory=dict)  # agent code -> index of their first turn


def slots(r: random.Random, day: date, region: str, customer_name: str) -> dict[str, str]:
    """Values for the template slots of one contact."""
    when = day - timedelta(days=r.randint(1, 20))
    return {
        "order": f"#W{r.randint(1_000_000, 9_999_999)}",
        "amount": f"{CURRENCY[region]}{r.lognormvariate(3.8, 0.7):.2f}",
        "date": f"{when:%B} {when.day}",
        "last4": f"{r.randint(0, 9999):04d}",
        "booking": f"BK{r.randint(100_000, 999_999)}",
        "tracking": f"1Z{r.randint(10**9, 10**10 - 1)}",
        "plan": r.choice(PLANS),
        "device": r.choice(DEVICES),
        "email": r.choice(DOMAINS),
        "case": f"CS-{r.randint(100_000, 999_999)}",
        "points": str(r.randint(5, 120) * 100),
        "name": customer_name,
        "first": customer_name.split(" ")[0],
    }


def sentiment_path(r: random.Random, start: float, end: float, n: int) -> list[float]:
    """Customer sentiment for n turns: s_k = s0 + (s1 - s0) * (k / (n - 1)) ** 1.5 + noise, clipped to -5..5."""
    out = []
    for k in range(n):
        frac = (k / (n - 1)) ** 1.5 if n > 1 else 1.0
        value = start + (end - start) * frac + r.gauss(0, 0.4)
        out.append(round(max(-5.0, min(5.0, value)), 2))
    return out


def _reaction(r: random.Random, mood: float) -> str:
    return r.choice(NEG if mood < -1 else POS if mood > 1 else NEUTRAL)


class _Writer:
    """Accumulates turns; customer turns get their sentiment when the script is finished."""

    def __init__(self, r: random.Random, values: dict[str, str]) -> None:
        self.r = r
        self.values = values
        self.script = Script()

    def say(self, speaker: str, text: str, agent: str | None = None) -> None:
        if agent is not None and agent not in self.script.joins:
            self.script.joins[agent] = len(self.script.turns)
        self.script.turns.append((speaker, text.format(**self.values), agent, None))

    def finish(self, start: float, end: float) -> Script:
        idx = [i for i, t in enumerate(self.script.turns) if t[0] == "customer"]
        for i, mood in zip(idx, sentiment_path(self.r, start, end, len(idx)), strict=True):
            speaker, text, agent, _ = self.script.turns[i]
            self.script.turns[i] = (speaker, text, agent, mood)
        return self.script


def _greet(q: float, channel: str, name: str) -> str:
    if channel == "chat" or channel == "messaging":
        return f"Hi, you're chatting with {name}. How can I help?" if q > 0.5 else f"Hi, {name} here."
    if q > 0.8:
        return f"Good morning, thank you for calling, my name is {name}. How can I help you today?"
    return f"Hello, you're through to {name}, how can I help?" if q > 0.5 else f"Hi, {name} speaking."


def _verify(w: _Writer, code: str, q: float) -> None:
    if q > 0.8:
        w.say("agent", "I'm sorry to hear that, I'll sort this out for you. First, could you confirm your full "
              "name and postcode for security?", code)  # fmt: skip
    elif q > 0.5:
        w.say("agent", "I can help with that. Can I take your name and postcode to verify the account?", code)
    else:
        w.say("agent", "Name and postcode?", code)
    w.say("customer", f"Sure, it's {{name}}, postcode {w.r.choice(('D02', 'M5V', '10115', '78701', '2000'))}.")
    w.say("agent", ("Thank you, {first}, you're verified. " if q > 0.5 else "Ok. ") + "{ask}", code)


def _resolve(w: _Writer, intent: Intent, code: str, q: float, mood_now: float) -> None:
    """Check eligibility, confirm and act, from the lookup onwards."""
    w.say("agent", ("Thank you, let me pull that up for you. " if q > 0.5 else "") + FAMILY_LOOKUP[intent.family], code)
    w.say("customer", w.r.choice(intent.details))
    w.say("agent", FAMILY_ELIGIBLE[intent.family], code)
    w.say("customer", _reaction(w.r, mood_now))
    w.say("agent", "Just to confirm, shall I go ahead with that now?" if q > 0.5 else "Want me to do it?", code)
    w.say("customer", "Yes, please.")
    w.say("agent", ("Done. " if q > 0.5 else "") + intent.action, code)


def _close(w: _Writer, code: str, q: float, happy: bool, speaker: str = "agent") -> None:
    w.say(speaker, "Is there anything else I can help you with today?" if q > 0.5 else "Anything else?", code)
    w.say("customer", "No, that's everything, thanks." if happy else "No.")
    w.say(speaker, "Thanks for getting in touch, {first}, have a lovely day." if q > 0.8 else "Thanks, bye.", code)
    w.say("customer", w.r.choice(("Thanks, bye.", "Cheers, bye.", "Thank you, bye.")) if happy else "Fine. Bye.")


def human_script(
    r: random.Random, *, intent: Intent, channel: str, outcome: str, who: Speakers, values: dict[str, str],
    moods: tuple[float, float],
) -> Script:  # fmt: skip
    """A voice, chat or messaging contact handled by a human from the start."""
    w = _Writer(r, {**values, "ask": FAMILY_ASK[intent.family][0].format(**values)})
    code, q = who.agent or "", who.quality
    w.say("agent", _greet(q, channel, who.agent_name), code)
    w.say("customer", r.choice(intent.openings))
    _verify(w, code, q)
    w.say("customer", FAMILY_ASK[intent.family][1])
    if channel == "voice":
        for prompt, answer in r.sample(FILLERS, r.randint(0, 2)):
            w.say("agent", prompt, code)
            w.say("customer", answer.format(again=FAMILY_ASK[intent.family][1]))
    _finish_human(w, intent, outcome, who, moods)
    return w.finish(*moods)


def _finish_human(w: _Writer, intent: Intent, outcome: str, who: Speakers, moods: tuple[float, float]) -> None:
    code, q = who.agent or "", who.quality
    mid = (moods[0] + moods[1]) / 2
    if outcome == "resolved":
        _resolve(w, intent, code, q, mid)
        w.say("customer", _reaction(w.r, moods[1]))
        _close(w, code, q, happy=moods[1] > -1)
        return
    w.say("agent", ("Thank you, let me pull that up. " if q > 0.5 else "") + FAMILY_LOOKUP[intent.family], code)
    w.say("customer", w.r.choice(intent.details))
    if outcome == "escalated":
        w.say(
            "agent", intent.fail + " I've escalated it as case {case}; you'll hear back within two working days.", code
        )
        w.say("customer", _reaction(w.r, moods[1]))
        _close(w, code, q, happy=False)
        return
    w.say("agent", intent.fail + " I'll transfer you to a colleague who can help with that.", code)
    w.say("customer", _reaction(w.r, mid))
    w.say("system", "Transferring the contact.")
    second = who.second or code
    w.say("agent", f"Hi, this is {who.second_name}, I've got the notes from my colleague.", second)
    w.say("customer", "Thanks. Can you sort it out?")
    w.say("agent", intent.action, second)
    w.say("customer", _reaction(w.r, moods[1]))
    _close(w, second, q, happy=moods[1] > -1)


def ai_script(
    r: random.Random, *, intent: Intent, channel: str, outcome: str, handoff: bool, who: Speakers,
    values: dict[str, str], moods: tuple[float, float],
) -> Script:  # fmt: skip
    """A chat or messaging contact opened by an AI agent, which resolves it or hands it to a human."""
    w = _Writer(r, values)
    ai = who.ai or ""
    w.say("ai", f"Hi, I'm {who.ai_name}, a virtual assistant. What can I help you with today?", ai)
    w.say("customer", r.choice(intent.openings))
    w.say("ai", "I can help with that. " + FAMILY_ASK[intent.family][0], ai)
    w.say("customer", FAMILY_ASK[intent.family][1])
    if not handoff and outcome != "resolved":
        w.say("customer", r.choice(intent.details))
        w.say("ai", intent.fail + " I've raised case {case} and our team will email you within one working day.", ai)
        w.say("customer", _reaction(r, moods[1]))
        _close(w, ai, 0.7, happy=False, speaker="ai")
        return w.finish(*moods)
    if not handoff:
        w.say("ai", FAMILY_LOOKUP[intent.family] + " " + FAMILY_ELIGIBLE[intent.family], ai)
        w.say("customer", "Okay, please go ahead.")
        w.say("ai", intent.action, ai)
        w.say("customer", _reaction(r, moods[1]))
        _close(w, ai, 0.7, happy=moods[1] > -1, speaker="ai")
        return w.finish(*moods)
    w.say("customer", r.choice(intent.details))
    w.say("ai", "I'm sorry, I can't help with that here. I'll connect you with one of our team.", ai)
    w.say("system", "Connecting you to an agent.")
    code = who.agent or ""
    w.say("agent", f"Hi, this is {who.agent_name}. I can see what you told our assistant, let me take a look.", code)
    w.say("customer", _reaction(r, moods[0]))
    _finish_human(w, intent, outcome, who, moods)
    return w.finish(*moods)


def email_script(
    r: random.Random, *, intent: Intent, outcome: str, who: Speakers, values: dict[str, str],
    moods: tuple[float, float],
) -> Script:  # fmt: skip
    """An email thread: the customer's message, the agent's reply, sometimes a follow-up."""
    w = _Writer(r, values)
    code = who.agent or ""
    ask = FAMILY_ASK[intent.family][1]
    w.say("customer", f"Hello, {r.choice(intent.openings)} {r.choice(intent.details)} {ask} Regards, {{name}}")
    body = intent.action if outcome == "resolved" else intent.fail
    tail = " Your case number is {case}." if outcome != "resolved" else ""
    greet = "Dear {first}, thank you for your email. " if who.quality > 0.5 else "Hi {first}, "
    w.say("agent", f"{greet}{FAMILY_LOOKUP[intent.family]} {body}{tail} Kind regards, {who.agent_name}", code)
    if r.random() < 0.4:
        w.say("customer", "Thank you for your help." if outcome == "resolved" else "This is not acceptable.")
        w.say("agent", "You're welcome, {first}. We're here if you need anything else.", code)
    return w.finish(*moods)


def abandoned_script(r: random.Random, *, intent: Intent, channel: str, values: dict[str, str], mood: float) -> Script:
    """A contact the customer left before an agent answered."""
    w = _Writer(r, values)
    if channel == "voice":
        w.say("system", "Thank you for calling. Please tell us in a few words why you're calling.")
        w.say("customer", r.choice(intent.openings))
        w.say("system", "Thank you. All of our agents are busy; your call is important to us.")
    else:
        w.say("customer", r.choice(intent.openings))
        w.say("system", "Thanks, an agent will be with you shortly.")
        if r.random() < 0.5:
            w.say("customer", "Hello? Is anyone there?")
    return w.finish(mood, mood - 1.0)
