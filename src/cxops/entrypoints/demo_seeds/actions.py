"""Demo seed: governed actions proposed, decided, executed, reviewed and audited through the actions service.

An AI agent fleet and human agents of the demo directory propose actions for demo customers of recent
interactions, against the sandbox system of record (the tau2-bench retail and airline databases), with the
runtime every process builds (`actions_wiring.actions_runtime`: sandbox connector, trust state from the ledger).
The plan is fixed (seeded choices over the pristine sandbox data), so a fresh demo always ends the same way:

- most proposals are allowed and executed (cancellations, returns, exchanges, address and payment changes, bag
  additions, a flight-cancellation certificate);
- some are denied by a rule of the pack (another user's order, a non-refundable cancellation, a refund to a card
  that was not used, a certificate nobody asked for...), the rule ids and reasons kept on the proposal;
- large cancellations made after an hour of busy activity go to a supervisor (the packs' G3 amount-velocity
  guard, and G6 too when it runs outside business hours); a supervisor approves one, rejects one and leaves the
  rest in the Approvals queue;
- a two-step change whose second step the system of record refuses is compensated, and one executed address
  change is reversed by a supervisor;
- one AI agent (`ai-kai`) has most of its proposals denied: the actions domain trips its circuit breaker itself.

Idempotent: every proposal has the idempotency key `demo-seed:<scenario>`; a scenario whose key exists is not
proposed again, and reviews are made only on proposals created by the same call.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core import keys
from cxops.core.auth import Principal, Role
from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.core.errors import CxopsError
from cxops.domains.actions import repository as actions_repo
from cxops.domains.actions import service as actions_service
from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.public import ActionsRuntime, verify
from cxops.domains.actions.sandbox.connector import load_db
from cxops.domains.actions.schemas import ActionContext, Confirmation, ProposalCreate, Step
from cxops.domains.directory.public import Agent
from cxops.domains.interactions.public import Interaction
from cxops.entrypoints.actions_wiring import actions_runtime

SEED = 20261125
KEY_PREFIX = "demo-seed:"
WINDOW_DAYS = 7
SUPERVISOR = "demo-supervisor"
#: Flight statuses that mean a segment has been flown (as the sandbox reads them).
FLOWN = ("landed", "flying")
#: Fictional addresses customers move to.
ADDRESSES = (
    {"address1": "14 Harbour View Road", "address2": "Apt 3B", "city": "Portland", "state": "OR", "zip": "97205"},
    {"address1": "280 Linden Avenue", "address2": "", "city": "Madison", "state": "WI", "zip": "53703"},
    {"address1": "9 Quarry Lane", "address2": "Unit 12", "city": "Austin", "state": "TX", "zip": "78704"},
    {"address1": "1120 Mill Street", "address2": "", "city": "Raleigh", "state": "NC", "zip": "27601"},
    {"address1": "57 Orchard Court", "address2": "Suite 400", "city": "Denver", "state": "CO", "zip": "80203"},
)
#: Demo intents that lead to each action (to find the interaction a proposal belongs to).
INTENTS = {
    "cancel_pending_order": ("order_cancel",),
    "modify_pending_order_address": ("change_delivery_address",),
    "modify_user_address": ("update_address",),
    "return_delivered_order_items": ("return_request", "refund_request"),
    "exchange_delivered_order_items": ("exchange_request",),
    "modify_pending_order_payment": ("update_payment_method",),
    "modify_pending_order_items": ("order_change",),
    "cancel_reservation": ("cancel_booking",),
    "update_reservation_baggages": ("change_booking",),
    "send_certificate": ("complaint_service", "cancel_booking"),
}


class NoCandidate(LookupError):
    """The sandbox data holds no entity the scenario needs (it is skipped)."""


@dataclass
class Request:
    """One planned proposal: who proposes what, with which conversation facts."""

    name: str
    actor: str  # an AI agent's code, or "human" (the human agent of the interaction)
    steps: list[Step]
    user_id: str
    context: dict[str, Any] = field(default_factory=dict)
    confirm: bool = True


def _confirmed(steps: list[Step]) -> list[Confirmation]:
    return [Confirmation(action=s.action, params=s.params) for s in steps]


class Sandbox:
    """Seeded choices over the pristine sandbox data; each order, reservation and user is used once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.retail = load_db("retail")
        self.airline = load_db("airline")
        self.used: set[str] = set()

    def _pick(self, items: list[tuple[str, str]], what: str) -> tuple[str, str]:
        """A seeded choice of (entity id, user id) among candidates not used yet; marks both used."""
        fresh = [(e, u) for e, u in sorted(items) if e not in self.used and u not in self.used]
        if not fresh:
            raise NoCandidate(what)
        entity, user = self.rng.choice(fresh)
        self.used.update((entity, user))
        return entity, user

    # retail
    @staticmethod
    def total(order: dict[str, Any]) -> float:
        history = order["payment_history"]
        paid = sum(p["amount"] for p in history if p["transaction_type"] == "payment")
        return round(paid - sum(p["amount"] for p in history if p["transaction_type"] == "refund"), 2)

    def methods(self, user_id: str, *, gift: bool = False) -> list[str]:
        pms = self.retail["users"][user_id]["payment_methods"]
        return sorted(k for k, v in pms.items() if (v["source"] == "gift_card") == gift)

    def order(
        self, status: str, lo: float, hi: float, ok: Callable[[dict[str, Any]], bool] = lambda _o: True
    ) -> dict[str, Any]:
        orders = self.retail["orders"]
        found = [
            (oid, o["user_id"])
            for oid, o in orders.items()
            if o["status"] == status and lo <= self.total(o) <= hi and ok(o)
        ]
        oid, _ = self._pick(found, f"{status} order between {lo} and {hi}")
        return dict(orders[oid])

    def swap(self, order: dict[str, Any]) -> tuple[str, str] | None:
        """(item, another available variant of its product) with the smallest price difference, if any."""
        best: tuple[float, str, str] | None = None
        for item in sorted(order["items"], key=lambda i: i["item_id"]):
            variants = self.retail["products"][item["product_id"]]["variants"]
            for vid, v in sorted(variants.items()):
                if vid != item["item_id"] and v.get("available"):
                    diff = abs(v["price"] - item["price"])
                    if best is None or diff < best[0]:
                        best = (diff, item["item_id"], vid)
        return (best[1], best[2]) if best else None

    def single_card_payment(self, order: dict[str, Any]) -> bool:
        history = order["payment_history"]
        return (
            len(history) == 1
            and bool(self.methods(order["user_id"]))
            and any(m != history[0]["payment_method_id"] for m in self.methods(order["user_id"]))
        )

    def other_user(self) -> str:
        users = [(u, u) for u in self.retail["users"]]
        return self._pick(users, "another retail user")[0]

    # airline
    def statuses(self, res: dict[str, Any]) -> list[str]:
        flights = self.airline["flights"]
        return [
            flights.get(f["flight_number"], {}).get("dates", {}).get(f["date"], {}).get("status", "unknown")
            for f in res["flights"]
        ]

    def reservation(self, ok: Callable[[dict[str, Any], list[str], dict[str, Any]], bool]) -> dict[str, Any]:
        users = self.airline["users"]
        found = [
            (rid, r["user_id"])
            for rid, r in self.airline["reservations"].items()
            if r["user_id"] in users and ok(r, self.statuses(r), users[r["user_id"]])
        ]
        rid, _ = self._pick(found, "reservation")
        return dict(self.airline["reservations"][rid])

    def card(self, user_id: str) -> str | None:
        pms = self.airline["users"][user_id]["payment_methods"]
        cards = sorted(k for k, v in pms.items() if v["source"] == "credit_card")
        return cards[0] if cards else None


def _retail_ctx(user_id: str, **extra: Any) -> dict[str, Any]:
    return {"identity_verified": True, "identity_method": "email", "authenticated_user_id": user_id, **extra}


def _airline_ctx(user_id: str, **extra: Any) -> dict[str, Any]:
    return {"identity_verified": True, "identity_method": "user_id", "authenticated_user_id": user_id, **extra}


def _address(sb: Sandbox) -> dict[str, str]:
    return {**sb.rng.choice(ADDRESSES), "country": "USA"}


def _cancel(sb: Sandbox, name: str, actor: str, lo: float, hi: float, **kw: Any) -> Request:
    order = sb.order("pending", lo, hi)
    reason = kw.pop("reason", sb.rng.choice(("no longer needed", "ordered by mistake")))
    step = Step(action="cancel_pending_order", params={"order_id": order["order_id"], "reason": reason})
    return Request(name, actor, [step], order["user_id"], _retail_ctx(order["user_id"]), **kw)


def _cancel_delivered(sb: Sandbox, name: str, actor: str) -> Request:
    order = sb.order("delivered", 0, 1000)
    step = Step(action="cancel_pending_order", params={"order_id": order["order_id"], "reason": "no longer needed"})
    return Request(name, actor, [step], order["user_id"], _retail_ctx(order["user_id"]))


def _cancel_for_someone_else(sb: Sandbox, name: str, actor: str) -> Request:
    order = sb.order("pending", 0, 1000)
    caller = sb.other_user()
    step = Step(action="cancel_pending_order", params={"order_id": order["order_id"], "reason": "no longer needed"})
    return Request(name, actor, [step], caller, _retail_ctx(caller))


def _order_address(sb: Sandbox, name: str, actor: str) -> Request:
    order = sb.order("pending", 0, 5000)
    step = Step(action="modify_pending_order_address", params={"order_id": order["order_id"], **_address(sb)})
    return Request(name, actor, [step], order["user_id"], _retail_ctx(order["user_id"]))


def _user_address(sb: Sandbox, name: str, actor: str) -> Request:
    user = sb._pick([(u, u) for u in sb.retail["users"]], "retail user")[0]
    step = Step(action="modify_user_address", params={"user_id": user, **_address(sb)})
    return Request(name, actor, [step], user, _retail_ctx(user, identity_method="name_zip"))


def _return(sb: Sandbox, name: str, actor: str, *, original: bool) -> Request:
    def ok(o: dict[str, Any]) -> bool:
        cheap = any(i["price"] <= 400 for i in o["items"])
        first = o["payment_history"][0]["payment_method_id"]
        cards = [m for m in sb.methods(o["user_id"]) if m != first]
        return cheap and (not first.startswith("gift_card") if original else bool(cards))

    order = sb.order("delivered", 0, 5000, ok)
    item = min((i for i in order["items"] if i["price"] <= 400), key=lambda i: (i["price"], i["item_id"]))
    first = order["payment_history"][0]["payment_method_id"]
    pm = first if original else next(m for m in sb.methods(order["user_id"]) if m != first)
    params = {"order_id": order["order_id"], "item_ids": [item["item_id"]], "payment_method_id": pm}
    return Request(name, actor, [Step(action="return_delivered_order_items", params=params)], order["user_id"],
                   _retail_ctx(order["user_id"]))  # fmt: skip


def _swap(sb: Sandbox, name: str, actor: str, action: str, status: str) -> Request:
    def ok(o: dict[str, Any]) -> bool:
        return sb.swap(o) is not None and bool(sb.methods(o["user_id"]))

    order = sb.order(status, 0, 3000, ok)
    old, new = sb.swap(order) or ("", "")
    params = {
        "order_id": order["order_id"],
        "item_ids": [old],
        "new_item_ids": [new],
        "payment_method_id": sb.methods(order["user_id"])[0],
    }
    ctx = _retail_ctx(order["user_id"], items_list_confirmed=True)
    return Request(name, actor, [Step(action=action, params=params)], order["user_id"], ctx)


def _payment(sb: Sandbox, name: str, actor: str, lo: float, hi: float) -> Request:
    order = sb.order("pending", lo, hi, sb.single_card_payment)
    current = order["payment_history"][0]["payment_method_id"]
    pm = next(m for m in sb.methods(order["user_id"]) if m != current)
    step = Step(action="modify_pending_order_payment", params={"order_id": order["order_id"], "payment_method_id": pm})
    return Request(name, actor, [step], order["user_id"], _retail_ctx(order["user_id"]))


def _items_then_payment(sb: Sandbox, name: str, actor: str) -> Request:
    """Swap an item, then move the order to another card: policy checks each step on the order as it is, so both
    pass; the system of record then refuses the second (the swap added a payment line) and the first is undone."""
    order = sb.order("pending", 0, 1000, lambda o: sb.single_card_payment(o) and sb.swap(o) is not None)
    old, new = sb.swap(order) or ("", "")
    current = order["payment_history"][0]["payment_method_id"]
    pm = next(m for m in sb.methods(order["user_id"]) if m != current)
    oid = order["order_id"]
    steps = [
        Step(
            action="modify_pending_order_items",
            params={"order_id": oid, "item_ids": [old], "new_item_ids": [new], "payment_method_id": pm},
        ),
        Step(action="modify_pending_order_payment", params={"order_id": oid, "payment_method_id": pm}),
    ]
    return Request(name, actor, steps, order["user_id"], _retail_ctx(order["user_id"], items_list_confirmed=True))


def _amount(res: dict[str, Any]) -> float:
    return float(sum(p["amount"] for p in res["payment_history"]))


def _cancel_booking(sb: Sandbox, name: str, actor: str, kind: str) -> Request:
    def ok(r: dict[str, Any], st: list[str], _u: dict[str, Any]) -> bool:
        flown = any(s in FLOWN for s in st)
        if kind == "business":
            return r["cabin"] == "business" and not flown and 4000 <= _amount(r) <= 4600
        if kind == "insured":
            return r["cabin"] != "business" and r["insurance"] == "yes" and not flown and 2000 <= _amount(r) <= 2800
        if kind == "flown":
            return flown and r["cabin"] != "business"
        # non-refundable: economy, booked long ago, no insurance, nothing cancelled by the airline
        return r["cabin"] != "business" and r["insurance"] == "no" and not flown and "cancelled" not in st

    res = sb.reservation(ok)
    reason = "health" if kind == "insured" else "change_of_plan"
    step = Step(action="cancel_reservation", params={"reservation_id": res["reservation_id"]})
    return Request(name, actor, [step], res["user_id"], _airline_ctx(res["user_id"], reason=reason))


def _bags(sb: Sandbox, name: str, actor: str, *, add: bool) -> Request:
    def ok(r: dict[str, Any], st: list[str], u: dict[str, Any]) -> bool:
        has_card = any(v["source"] == "credit_card" for v in u["payment_methods"].values())
        return has_card and not any(s in FLOWN for s in st) and (add or r["total_baggages"] >= 1)

    res = sb.reservation(ok)
    delta = 1 if add else -1
    params = {
        "reservation_id": res["reservation_id"],
        "total_baggages": res["total_baggages"] + delta,
        "nonfree_baggages": max(0, res["nonfree_baggages"] + delta),
        "payment_id": sb.card(res["user_id"]),
    }
    step = Step(action="update_reservation_baggages", params=params)
    return Request(name, actor, [step], res["user_id"], _airline_ctx(res["user_id"]))


def _certificate(sb: Sandbox, name: str, actor: str, *, eligible: bool, asked: bool) -> Request:
    def ok(r: dict[str, Any], st: list[str], u: dict[str, Any]) -> bool:
        member = u.get("membership") in ("silver", "gold")
        plain = u.get("membership") == "regular" and r["insurance"] != "yes" and r["cabin"] != "business"
        return "cancelled" in st and (member if eligible else plain)

    res = sb.reservation(ok)
    amount = 100 * len(res["passengers"])
    ctx = _airline_ctx(
        res["user_id"],
        complaint="cancelled_flight",
        compensation_requested=asked,
        reservation_id=res["reservation_id"],
    )
    step = Step(action="send_certificate", params={"user_id": res["user_id"], "amount": amount})
    return Request(name, actor, [step], res["user_id"], ctx)


def plan(sb: Sandbox) -> tuple[list[Request], int]:
    """The proposals, in the order they are made (the amount-velocity guard depends on the order), and how many
    planned ones found no matching sandbox data."""
    aria, atlas, kai, human = "ai-aria", "ai-atlas", "ai-kai", "human"
    builders: list[Callable[[], Request]] = [
        # airline desk: refundable cancellations, bags, a certificate; two refused
        lambda: _cancel_booking(sb, "airline-cancel-business", atlas, "business"),
        lambda: _cancel_booking(sb, "airline-cancel-insured", human, "insured"),
        lambda: _cancel_booking(sb, "airline-cancel-nonrefundable", atlas, "nonrefundable"),
        lambda: _bags(sb, "airline-add-bag", human, add=True),
        lambda: _bags(sb, "airline-remove-bag", human, add=False),
        lambda: _certificate(sb, "airline-certificate-cancelled-flight", human, eligible=True, asked=True),
        # retail: everyday changes by the AI agent and the human team
        lambda: _cancel(sb, "retail-cancel-1", aria, 0, 400),
        lambda: _order_address(sb, "retail-order-address-1", aria),
        lambda: _user_address(sb, "retail-user-address-1", aria),
        lambda: _return(sb, "retail-return-1", aria, original=True),
        lambda: _swap(sb, "retail-exchange-1", aria, "exchange_delivered_order_items", "delivered"),
        lambda: _cancel(sb, "retail-cancel-2", aria, 0, 400),
        lambda: _cancel_delivered(sb, "retail-cancel-delivered", aria),
        lambda: _return(sb, "retail-return-other-card", aria, original=False),
        lambda: _items_then_payment(sb, "retail-swap-then-repay", aria),
        lambda: _cancel(sb, "retail-cancel-3", human, 0, 400),
        lambda: _order_address(sb, "retail-order-address-reversed", human),
        lambda: _return(sb, "retail-return-2", human, original=True),
        lambda: _swap(sb, "retail-modify-items", human, "modify_pending_order_items", "pending"),
        lambda: _cancel_for_someone_else(sb, "retail-cancel-other-user", human),
        lambda: _cancel(sb, "retail-cancel-bad-reason", human, 0, 400, reason="found it cheaper elsewhere"),
        lambda: _payment(sb, "retail-payment-1", aria, 3400, 3800),
        lambda: _payment(sb, "retail-payment-2", human, 3400, 3800),
        # an AI agent going wrong: 6 of its 10 proposals are refused, so its breaker trips
        lambda: _certificate(sb, "kai-certificate-unasked", kai, eligible=True, asked=False),
        lambda: _user_address(sb, "kai-user-address-1", kai),
        lambda: _cancel(sb, "kai-cancel-unconfirmed", kai, 0, 1000, confirm=False),
        lambda: _bags(sb, "kai-add-bag", kai, add=True),
        lambda: _certificate(sb, "kai-certificate-ineligible", kai, eligible=False, asked=True),
        lambda: _cancel_booking(sb, "kai-cancel-nonrefundable", kai, "nonrefundable"),
        lambda: _order_address(sb, "kai-order-address", kai),
        lambda: _return(sb, "kai-return-other-card", kai, original=False),
        lambda: _user_address(sb, "kai-user-address-2", kai),
        lambda: _cancel_booking(sb, "kai-cancel-flown", kai, "flown"),
        # large cancellations after a busy hour: the amount-velocity guard sends them to a supervisor
        lambda: _cancel(sb, "retail-large-cancel-1", aria, 6300, 10_000),
        lambda: _cancel(sb, "retail-large-cancel-2", human, 6300, 10_000),
        lambda: _cancel(sb, "retail-large-cancel-3", human, 6300, 10_000),
        lambda: _cancel(sb, "retail-large-cancel-4", aria, 6300, 10_000),
        lambda: _cancel(sb, "retail-large-cancel-5", human, 6300, 10_000),
    ]
    out = []
    for build in builders:
        try:
            out.append(build())
        except NoCandidate:
            continue
    return out, len(builders) - len(out)


#: Reviews of proposals created by the same call: (scenario, verb, reason).
REVIEWS = (
    ("retail-large-cancel-1", "approve", "Called the customer back and confirmed the cancellation; refund approved."),
    (
        "retail-large-cancel-2",
        "reject",
        "The order is already being picked at the warehouse; offered a return instead.",
    ),
    ("retail-order-address-reversed", "reverse", "The customer called back: the new address had a typo; restored."),
)


@dataclass
class Actors:
    """A principal per actor, backed by an API key of the organisation (created once, its secret discarded)."""

    org_id: uuid.UUID
    by_subject: dict[str, Principal] = field(default_factory=dict)

    def get(self, session: Session, subject: str, role: Role) -> Principal:
        if subject not in self.by_subject:
            name = f"demo-actions {subject}"
            row = next((k for k in keys.list_keys(session, org_id=self.org_id) if k.name == name), None)
            if row is None:
                row, _secret = keys.create_key(session, org_id=self.org_id, role=role, name=name, subject=subject)
            self.by_subject[subject] = Principal(row.id, self.org_id, Role(row.role), row.subject)
        return self.by_subject[subject]


def _interactions(session: Session, org_id: uuid.UUID, now: datetime) -> list[tuple[Interaction, str, str]]:
    """Recent interactions with a customer: (interaction, primary agent code, agent kind), oldest first."""
    intents = sorted({i for group in INTENTS.values() for i in group})
    stmt = (
        select(Interaction, Agent.code, Agent.kind)
        .join(Agent, Agent.id == Interaction.primary_agent_id)
        .where(
            Interaction.org_id == org_id,
            Interaction.customer_id.is_not(None),
            Interaction.intent.in_(intents),
            Interaction.started_at >= now - timedelta(days=WINDOW_DAYS),
            Interaction.started_at <= now,
        )
        .order_by(Interaction.started_at, Interaction.id)
    )
    return [(row, code, kind) for row, code, kind in session.execute(stmt).all()]


def _conversation(
    pool: list[tuple[Interaction, str, str]], req: Request, rng: random.Random, used: set[uuid.UUID]
) -> tuple[Interaction, str] | None:
    """The interaction a proposal belongs to and who proposes it: the AI agent's own conversation about the intent
    if there is one, else a human agent's conversation about it; looser matches when the window has none."""
    intents = INTENTS.get(req.steps[0].action, ())
    ai = req.actor != "human"
    tiers = [
        lambda i, c, k: i.intent in intents and (c == req.actor if ai else k == "human"),
        lambda i, c, k: i.intent in intents and (k == "ai") == ai,
        lambda i, c, k: (c == req.actor) if ai else k == "human",
        lambda i, c, k: True,
    ]
    for match in tiers:
        found = [(i, c) for i, c, k in pool if i.id not in used and i.customer_id not in used and match(i, c, k)]
        if found:
            chosen, code = rng.choice(found)
            used.update((chosen.id, chosen.customer_id))  # type: ignore[arg-type]
            return chosen, req.actor if ai else code
    return None


def _propose(
    factory: sessionmaker[Session], runtime: ActionsRuntime, who: Principal, body: ProposalCreate
) -> uuid.UUID | None:
    """One proposal in its own transaction, as one API request makes it."""
    with unit_of_work(factory) as session:
        try:
            row, _replayed = actions_service.propose(session, runtime, org_id=who.org_id, who=who, req=body)
        except CxopsError:  # the sandbox data changed under the plan: leave the scenario out
            session.rollback()
            return None
        return row.id


def _review(
    factory: sessionmaker[Session], runtime: ActionsRuntime, who: Principal, pid: uuid.UUID, verb: str, why: str
) -> None:
    with unit_of_work(factory) as session:
        try:
            if verb == "approve":
                actions_service.approve(session, runtime, org_id=who.org_id, who=who, proposal_id=pid, reason=why)
            elif verb == "reject":
                actions_service.reject(session, org_id=who.org_id, who=who, proposal_id=pid, reason=why)
            else:
                actions_service.reverse_proposal(
                    session, runtime, org_id=who.org_id, who=who, proposal_id=pid, reason=why
                )
        except CxopsError:  # not in the state the review expects (e.g. not routed to approval): no review
            session.rollback()


def _summary(factory: sessionmaker[Session], org_id: uuid.UUID, created: int, skipped: int) -> str:
    with unit_of_work(factory) as session:
        rows = session.scalars(
            select(ActionProposal).where(
                ActionProposal.org_id == org_id, ActionProposal.idempotency_key.startswith(KEY_PREFIX)
            )
        ).all()
        status = Counter(r.status for r in rows)
        breakers = [b for b in actions_repo.list_breakers(session, org_id) if b.is_open]
        chain = verify(session, org_id=org_id)
    parts = [f"{status.get(s, 0)} {label}" for s, label in _LABELS if status.get(s, 0)]
    others = sum(n for s, n in status.items() if s not in dict(_LABELS))
    if others:
        parts.append(f"{others} other")
    head = (
        f"Actions: {created} proposals ({', '.join(parts)})"
        if created
        else f"Actions: already seeded ({len(rows)} proposals: {', '.join(parts) or 'none'}); nothing added"
    )
    if skipped:
        head += f"; {skipped} planned proposals left out (no matching sandbox data)"
    if breakers:
        head += "; breaker open for " + ", ".join(f"{b.scope} {b.key}" for b in breakers)
    verdict = f"audit chain verified ({chain['rows']} entries)" if chain["ok"] else "AUDIT CHAIN FAILED TO VERIFY"
    return f"{head}; {verdict}"


_LABELS = (
    ("executed", "executed"),
    ("denied", "denied"),
    ("pending_approval", "awaiting approval"),
    ("rejected", "rejected"),
    ("reversed", "reversed"),
    ("compensated", "compensated"),
)


def seed(factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime) -> str:
    """Propose the demo's governed actions (idempotent); returns a one-line summary."""
    del settings  # the runtime is the one every process builds; nothing here depends on settings
    runtime = actions_runtime(factory)
    rng = random.Random(SEED)
    try:
        sandbox = Sandbox(rng)
    except CxopsError as exc:  # the sandbox data is not installed
        return f"Actions: skipped ({exc.message})"
    requests, skipped = plan(sandbox)
    actors = Actors(org_id)
    with unit_of_work(factory) as session:
        existing = {
            key
            for key in session.scalars(
                select(ActionProposal.idempotency_key).where(
                    ActionProposal.org_id == org_id, ActionProposal.idempotency_key.startswith(KEY_PREFIX)
                )
            )
        }
        pool = _interactions(session, org_id, now)
        supervisor = actors.get(session, SUPERVISOR, Role.SUPERVISOR)
        planned: list[tuple[Request, Principal, ProposalCreate]] = []
        used: set[uuid.UUID] = set()
        for req in requests:
            key = KEY_PREFIX + req.name
            if key in existing:
                continue
            found = _conversation(pool, req, rng, used)
            interaction, subject = found if found else (None, req.actor if req.actor != "human" else "agent-demo")
            who = actors.get(session, subject, Role.AGENT if req.actor == "human" else Role.SERVICE)
            context = ActionContext(
                **req.context,
                confirmations=_confirmed(req.steps) if req.confirm else [],
                interaction_id=interaction.id if interaction else None,
            )
            customer = str(interaction.customer_id) if interaction and interaction.customer_id else None
            body = ProposalCreate(
                steps=req.steps, context=context, customer_ref=customer or req.user_id, idempotency_key=key
            )
            planned.append((req, who, body))
    created: dict[str, uuid.UUID] = {}
    for req, who, body in planned:
        pid = _propose(factory, runtime, who, body)
        if pid is None:
            skipped += 1
        else:
            created[req.name] = pid
    for name, verb, why in REVIEWS:
        if name in created:
            _review(factory, runtime, supervisor, created[name], verb, why)
    return _summary(factory, org_id, len(created), skipped if created else 0)
