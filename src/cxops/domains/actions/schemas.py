"""API schemas of the actions domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Confirmation(BaseModel):
    """The exact action and parameters the customer said yes to."""

    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1, max_length=100)
    params: dict[str, Any]


class ActionContext(BaseModel):
    """What the conversation established before the action."""

    model_config = ConfigDict(extra="forbid")
    identity_verified: bool = False
    identity_method: str | None = Field(default=None, max_length=50)
    authenticated_user_id: str | None = Field(default=None, max_length=200)
    confirmation: Confirmation | None = None
    confirmations: list[Confirmation] = Field(default_factory=list, max_length=10)
    actor_kind: Literal["ai", "human"] | None = None
    reason: str | None = Field(default=None, max_length=200)
    refund_waived: bool = False
    compensation_requested: bool = False
    complaint: str | None = Field(default=None, max_length=100)
    change_done: bool = False
    items_list_confirmed: bool = False
    reservation_id: str | None = Field(default=None, max_length=100)
    interaction_id: uuid.UUID | None = Field(default=None, description="the interaction the action belongs to (QA)")


class Step(BaseModel):
    """One action of a proposal."""

    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1, max_length=100)
    params: dict[str, Any]


class DryRunRequest(BaseModel):
    """An action (or several steps) to evaluate without executing."""

    model_config = ConfigDict(extra="forbid")
    action: str | None = Field(default=None, min_length=1, max_length=100)
    params: dict[str, Any] | None = None
    steps: list[Step] | None = Field(default=None, min_length=1, max_length=10)
    context: ActionContext = Field(default_factory=ActionContext)
    customer_ref: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_form(self) -> DryRunRequest:
        if (self.steps is None) == (self.action is None):
            raise ValueError("give either 'action' with 'params' or 'steps', not both")
        if self.action is not None and self.params is None:
            raise ValueError("'params' is required with 'action'")
        if self.customer_ref is None:
            self.customer_ref = self.context.authenticated_user_id
        return self

    def step_list(self) -> list[Step]:
        return self.steps if self.steps is not None else [Step(action=self.action or "", params=self.params or {})]


class ProposalCreate(DryRunRequest):
    """An action to decide and, if allowed, execute; the idempotency key makes retries safe."""

    idempotency_key: str = Field(min_length=1, max_length=200)


class ReviewRequest(BaseModel):
    """A supervisor's approval or rejection."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class BreakerUpdate(BaseModel):
    """Open (kill) or close a breaker by hand."""

    model_config = ConfigDict(extra="forbid")
    scope: Literal["action", "agent"]
    key: str = Field(min_length=1, max_length=200)
    open: bool
    reason: str = Field(min_length=1, max_length=2000)


class ProposalRead(BaseModel):
    """A proposal as the API shows it."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    idempotency_key: str
    action: str
    steps: list[dict[str, Any]]
    customer_ref: str | None
    actor_ref: str
    actor_role: str
    decision: str
    rules: list[dict[str, Any]]
    pack_version: str
    status: str
    amount: float
    error: str | None
    created_at: datetime
    expires_at: datetime | None
    reviewed_at: datetime | None
    review_reason: str | None
    executed_at: datetime | None
    replayed: bool = False


class BreakerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    scope: str
    key: str
    is_open: bool
    reason: str | None
    automatic: bool
    changed_at: datetime
    #: who changed it, as recorded (a subject, `key:<api key id>` or `system`; kept for audit)
    changed_by: str | None
    #: how to show who changed it: the API key's name for `key:<id>`, else `changed_by`
    changed_by_name: str | None = None


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    seq: int
    kind: str
    proposal_id: uuid.UUID | None
    created_at: datetime
    payload: dict[str, Any]
    tombstoned: bool
    hash: str
