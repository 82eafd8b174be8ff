"""A safe, compiled condition language for policy rules (a Python expression subset).

A rule condition such as ``entity.order_status != 'pending' and not context.confirmed`` is parsed with
``ast``, checked against a whitelist of node types and a schema of known fields, rewritten so that
``ns.field`` reads ``ns['field']`` from plain dicts, and compiled once to a code object. Evaluation is a
single ``eval`` of that code object over the namespaces: a few microseconds per rule.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from types import CodeType
from typing import Any

NAMESPACES = ("params", "entity", "context", "trust", "velocity", "time", "action")
FUNCTIONS: dict[str, Any] = {
    "len": len,
    "any": any,
    "all": all,
    "sum": sum,
    "min": min,
    "max": max,
    "abs": abs,
    "set": set,
    "round": round,
    "sorted": sorted,
}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Mod,
    ast.FloorDiv,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Call,
    ast.IfExp,
)


class ExpressionError(ValueError):
    """A condition that does not parse, uses a forbidden construct or references an unknown field."""


class _Rewrite(ast.NodeTransformer):
    """ns.field -> ns['field'] so namespaces are plain dicts (fast, no attribute magic)."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        return ast.copy_location(ast.Subscript(value=node.value, slice=ast.Constant(node.attr), ctx=ast.Load()), node)


def _check_node(node: ast.AST, fields: Mapping[str, frozenset[str] | None]) -> None:
    if not isinstance(node, _ALLOWED):
        raise ExpressionError(f"construct {type(node).__name__} is not allowed in a policy condition")
    if isinstance(node, ast.Attribute):
        if not isinstance(node.value, ast.Name) or node.value.id not in NAMESPACES:
            raise ExpressionError("field access must look like namespace.field, e.g. entity.order_status")
        known = fields.get(node.value.id)
        if known is None:
            raise ExpressionError(f"namespace '{node.value.id}' is not available to this rule")
        if node.attr not in known:
            choices = ", ".join(sorted(known)) or "none"
            raise ExpressionError(f"unknown field '{node.value.id}.{node.attr}'; known: {choices}")
    elif isinstance(node, ast.Name):
        if node.id in NAMESPACES:
            return
        if node.id not in FUNCTIONS:
            raise ExpressionError(f"unknown name '{node.id}'; use namespace.field or one of {sorted(FUNCTIONS)}")
    elif isinstance(node, ast.Call) and (
        not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords
    ):
        raise ExpressionError("only calls of len, any, all, sum, min, max, abs, set, round, sorted are allowed")


def _check(tree: ast.AST, fields: Mapping[str, frozenset[str] | None]) -> None:
    for node in ast.walk(tree):
        _check_node(node, fields)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in NAMESPACES:
            continue
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in NAMESPACES:
            raise ExpressionError("write namespace.field, not namespace['field']")


def referenced_fields(source: str) -> set[str]:
    """The 'ns.field' names a condition reads (for documentation and coverage reports)."""
    tree = ast.parse(source, mode="eval")
    return {
        f"{n.value.id}.{n.attr}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in NAMESPACES
    }


def compile_condition(source: str, fields: Mapping[str, frozenset[str] | None]) -> CodeType:
    """Parse, check and compile a condition.

    Args:
        source: the condition text (Python expression subset).
        fields: known field names per namespace; a namespace mapped to None is unavailable.

    Returns:
        A code object to pass to :func:`evaluate`.

    Raises:
        ExpressionError: syntax error, forbidden construct or unknown field.
    """
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("condition must be a non-empty string")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"condition does not parse: {exc.msg} at column {exc.offset}") from None
    _check(tree, fields)
    rewritten = ast.fix_missing_locations(_Rewrite().visit(tree))
    return compile(rewritten, "<policy>", "eval")


def evaluate(code: CodeType, scope: dict[str, Any]) -> Any:
    """Evaluate a compiled condition over a scope built by :func:`make_scope`."""
    return eval(code, scope)  # noqa: S307 - code objects come only from compile_condition's whitelist


def make_scope(namespaces: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The globals for evaluation: namespaces plus the allowed functions, no builtins."""
    scope: dict[str, Any] = {"__builtins__": {}}
    scope.update(FUNCTIONS)
    scope.update(namespaces)
    return scope
