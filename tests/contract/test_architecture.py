"""The dependency rules of docs/architecture.md, checked on every run."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cxops"


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, cwd=SRC.parents[1], check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def _parse(path: Path) -> ast.Module:
    """ast.parse, retried: CPython 3.11 keeps the AST validator's recursion depth in interpreter-wide state, so a
    module compiled by another thread at the same moment (a live test server importing lazily) can make
    ast.parse raise "SystemError: AST constructor recursion depth mismatch" for a file that is fine."""
    for attempt in range(5):
        try:
            return ast.parse(path.read_text(encoding="utf-8"))
        except SystemError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = _parse(path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((alias.name, node.lineno) for alias in node.names)
    return out


def test_domains_use_each_others_public_module_only() -> None:
    offenders = []
    for path in (SRC / "domains").rglob("*.py"):
        own = path.relative_to(SRC / "domains").parts[0]
        for module, line in _imports(path):
            parts = module.split(".")
            foreign = parts[:2] == ["cxops", "domains"] and len(parts) > 2 and parts[2] != own
            if foreign and parts[3:] != ["public"]:
                offenders.append(f"{path.relative_to(SRC)}:{line} imports {module}")
    assert offenders == []


def test_no_function_level_imports_in_the_package() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = _parse(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        offenders.append(f"{path.relative_to(SRC)}:{inner.lineno}")
    assert offenders == [], (
        "function-level imports (a cycle is a design bug; optional deps belong in a module-level try): "
        + ", ".join(offenders)
    )
