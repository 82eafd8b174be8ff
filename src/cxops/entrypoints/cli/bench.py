"""`cxops bench NAME --json`: run a benchmark (entrypoints/bench/NAME.py) and print one JSON object."""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import time
from typing import Any

import orjson
import typer

from cxops.entrypoints import bench as bench_pkg
from cxops.entrypoints.cli.common import fail


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench_pkg.__path__) if not m.name.startswith("_"))


def bench(
    name: str = typer.Argument(..., help="benchmark name, e.g. ingest"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    quick: bool = typer.Option(False, "--quick", help="smaller sizes, for a smoke run"),
) -> None:
    """Run a named benchmark; each module exposes run(quick: bool) -> dict."""
    names = available()
    if name not in names:
        fail(f"unknown benchmark {name!r}; available: {', '.join(names) or 'none'}")
    module = importlib.import_module(f"cxops.entrypoints.bench.{name}")
    started = time.perf_counter()
    result: dict[str, Any] = module.run(quick=quick)
    result.setdefault("benchmark", name)
    result.setdefault("machine", f"{platform.machine()} {_cores()} cores, Python {platform.python_version()}")
    result.setdefault("wall_s", round(time.perf_counter() - started, 2))
    if as_json:
        typer.echo(orjson.dumps(result).decode())
    else:
        for key, value in result.items():
            typer.echo(f"{key}: {value}")


def _cores() -> int:
    return os.cpu_count() or 1
