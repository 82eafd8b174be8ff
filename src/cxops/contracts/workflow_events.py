"""Event payloads published by the workflows domain (kept apart from contracts/events.py to stay small)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from cxops.core.event_types import DomainEvent


class WorkflowRunRequested(DomainEvent):
    """A rule matched an event: its run is to be executed by a worker (durable job)."""

    event_type: ClassVar[str] = "workflows.run_requested"
    run_id: str


class WorkflowStepEvent(DomainEvent):
    """Something a workflow step did; `causation` carries the chain of rules, for loop detection."""

    event_type: ClassVar[str] = "workflows.step"
    kind: str
    run_id: str
    detail: dict[str, Any] = Field(default_factory=dict)
    causation: dict[str, Any] = Field(default_factory=dict)


class TaskCreated(WorkflowStepEvent):
    event_type: ClassVar[str] = "workflows.task_created"


class NotificationCreated(WorkflowStepEvent):
    event_type: ClassVar[str] = "workflows.notification_created"


class InteractionTagged(WorkflowStepEvent):
    event_type: ClassVar[str] = "workflows.interaction_tagged"


class AutomationPaused(WorkflowStepEvent):
    event_type: ClassVar[str] = "workflows.automation_paused"


class ApprovalRequested(WorkflowStepEvent):
    event_type: ClassVar[str] = "workflows.approval_requested"


#: Step kind -> the event it publishes.
STEP_EVENTS: dict[str, type[WorkflowStepEvent]] = {
    "create_task": TaskCreated,
    "notify": NotificationCreated,
    "tag": InteractionTagged,
    "pause_automation": AutomationPaused,
    "request_approval": ApprovalRequested,
}
