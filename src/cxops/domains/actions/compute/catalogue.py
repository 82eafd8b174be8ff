"""The action catalogue: declared actions, their parameter schema and what policies may read about them.

Pure: no database, no web framework. Parameter schemas are a JSON Schema subset (type, properties,
required, enum, minimum, maximum, minLength, maxLength, pattern, items, minItems, maxItems,
additionalProperties) validated here with field-precise messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cxops.core.errors import NotFound, ValidationFailed

#: What every rule may read besides params/entity: fields of the conversation context, trust, velocity, time.
CONTEXT_FIELDS = frozenset(
    {
        "identity_verified",
        "identity_method",
        "authenticated_user_id",
        "confirmed",
        "actor_kind",
        "actor_id",
        "reason",
        "refund_waived",
        "compensation_requested",
        "complaint",
        "change_done",
        "items_list_confirmed",
        "reservation_id",
    }
)
TRUST_FIELDS = frozenset({"poor_experience_count", "automation_averse"})
VELOCITY_FIELDS = frozenset({"customer_day", "agent_hour", "amount_hour"})
TIME_FIELDS = frozenset({"hour", "minute", "weekday", "in_business_hours", "iso"})
ACTION_FIELDS = frozenset({"name", "system", "risk", "reversible", "kind"})
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One declared action: parameters, state read from the system of record, reversibility, risk."""

    name: str
    system: str
    description: str
    params: Mapping[str, Any]
    state_fields: frozenset[str]
    kind: str = "write"
    reversible: bool = True
    compensation: str | None = "sandbox.restore"
    risk: str = "medium"
    connector: str = "sandbox"
    entity_param: str | None = None

    def field_schema(self) -> dict[str, frozenset[str] | None]:
        """Known fields per namespace for conditions on this action."""
        return {
            "params": frozenset(self.params.get("properties", {})),
            "entity": self.state_fields | {"amount", "customer_id"},
            "context": CONTEXT_FIELDS,
            "trust": TRUST_FIELDS,
            "velocity": VELOCITY_FIELDS,
            "time": TIME_FIELDS,
            "action": ACTION_FIELDS,
        }

    def public(self) -> dict[str, Any]:
        """The catalogue entry as shown to API clients and AI agents."""
        return {
            "name": self.name,
            "system": self.system,
            "description": self.description,
            "kind": self.kind,
            "parameters": dict(self.params),
            "state_fields": sorted(self.state_fields | {"amount", "customer_id"}),
            "reversible": self.reversible,
            "compensation": self.compensation,
            "risk": self.risk,
            "connector": self.connector,
        }


@dataclass
class Catalogue:
    """Actions by name."""

    actions: dict[str, ActionSpec] = field(default_factory=dict)

    def add(self, spec: ActionSpec) -> None:
        self.actions[spec.name] = spec

    def get(self, name: str) -> ActionSpec:
        """The action or NotFound listing the known ones."""
        spec = self.actions.get(name)
        if spec is None:
            known = ", ".join(sorted(self.actions)) or "none"
            raise NotFound(f"unknown action '{name}'; the catalogue has: {known}", field="action")
        return spec

    def common_fields(self, names: list[str]) -> dict[str, frozenset[str] | None]:
        """Fields available to a rule over several actions: the intersection of their schemas."""
        schemas = [self.get(n).field_schema() for n in names]
        out: dict[str, frozenset[str] | None] = {}
        for ns in schemas[0]:
            sets = [s[ns] or frozenset() for s in schemas]
            out[ns] = frozenset.intersection(*sets)
        return out


def _check_type(value: Any, expected: str, path: str) -> None:
    types = _TYPES.get(expected)
    if types is None:
        return
    ok = isinstance(value, types) and not (expected in ("integer", "number") and isinstance(value, bool))
    if not ok:
        raise ValidationFailed(f"{path}: expected {expected}, got {type(value).__name__}", field=path)


def _check_bounds(value: Any, schema: Mapping[str, Any], path: str) -> None:
    if "enum" in schema and value not in schema["enum"]:
        raise ValidationFailed(f"{path}: {value!r} is not one of {schema['enum']}", field=path)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise ValidationFailed(f"{path}: {value} is below the minimum {schema['minimum']}", field=path)
        if "maximum" in schema and value > schema["maximum"]:
            raise ValidationFailed(f"{path}: {value} is above the maximum {schema['maximum']}", field=path)
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10_000):
            raise ValidationFailed(f"{path}: length {len(value)} is out of range", field=path)
        if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            raise ValidationFailed(f"{path}: {value!r} does not match {schema['pattern']}", field=path)
    if isinstance(value, list) and not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", 1000):
        raise ValidationFailed(f"{path}: {len(value)} items is out of range", field=path)


def validate_value(value: Any, schema: Mapping[str, Any], path: str) -> None:
    """Validate `value` against a JSON Schema subset, raising ValidationFailed naming the path."""
    if "type" in schema:
        _check_type(value, schema["type"], path)
    _check_bounds(value, schema, path)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate_value(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        for name in schema.get("required", []):
            if name not in value:
                raise ValidationFailed(f"{path}.{name}: required parameter is missing", field=f"{path}.{name}")
        if schema.get("additionalProperties", True) is False:
            extra = sorted(set(value) - set(props))
            if extra:
                raise ValidationFailed(f"{path}.{extra[0]}: unknown parameter", field=f"{path}.{extra[0]}")
        for name, sub in props.items():
            if name in value:
                validate_value(value[name], sub, f"{path}.{name}")


def validate_params(spec: ActionSpec, params: Any) -> dict[str, Any]:
    """Validated parameters with absent optional ones set to None (so rules can read every field)."""
    validate_value(params, {**spec.params, "type": "object"}, "params")
    return {name: params.get(name) for name in spec.params.get("properties", {})}
