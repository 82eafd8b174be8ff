"""The built-in sandbox system of record: tau2-bench retail and airline databases held in memory per organisation.

Anyone can try governed actions at once. State lives in the process (it resets on restart, by design for a
sandbox); every execution keeps a snapshot of the records it touched so it can be compensated, and
remembers its idempotency key so a retried call never executes twice.
"""

from __future__ import annotations

import copy
import os
import threading
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from cxops.core.errors import ServiceUnavailable
from cxops.domains.actions.errors import ActionRefused
from cxops.domains.actions.sandbox import airline, retail

_DEFAULT_DIR = Path(__file__).resolve().parents[6] / "shared" / "data" / "tau2_bench"
_FILES = {"retail": ("retail", "db.json"), "airline": ("airline", "db_ASSEMBLED_from_tau_bench_v1.json")}


def data_dir() -> Path:
    """Where the tau2-bench databases are (CXOPS_ACTIONS_SANDBOX_DIR, else the shared data folder)."""
    return Path(os.environ.get("CXOPS_ACTIONS_SANDBOX_DIR") or _DEFAULT_DIR)


@lru_cache(maxsize=4)
def _pristine(system: str, root: str) -> bytes:
    folder, name = _FILES[system]
    path = Path(root) / folder / name
    if not path.is_file():
        raise ServiceUnavailable(f"sandbox data for '{system}' not found at {path}; set CXOPS_ACTIONS_SANDBOX_DIR")
    return path.read_bytes()


def load_db(system: str) -> dict[str, Any]:
    """A fresh copy of the pristine tau2 database of `system`."""
    db: dict[str, Any] = orjson.loads(_pristine(system, str(data_dir())))
    return db


class SandboxConnector:
    """Connector over the in-memory tau2 databases (one copy per organisation and system)."""

    name = "sandbox"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._dbs: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
        self._done: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}

    def db(self, org_id: uuid.UUID, system: str) -> dict[str, Any]:
        """The organisation's copy of `system`'s database (loaded on first use)."""
        with self._lock:
            key = (org_id, system)
            if key not in self._dbs:
                self._dbs[key] = load_db(system)
            return self._dbs[key]

    def reset(self, org_id: uuid.UUID) -> None:
        """Forget the organisation's sandbox state (next use reloads the pristine data)."""
        with self._lock:
            for key in [k for k in self._dbs if k[0] == org_id]:
                del self._dbs[key]

    @staticmethod
    def system_of(action: str) -> str:
        return "retail" if action in retail.TOOLS else "airline"

    def read_state(
        self, *, org_id: uuid.UUID, action: str, params: dict[str, Any], context: dict[str, Any]
    ) -> dict[str, Any]:
        """Facts the policies read about the target entity."""
        system = self.system_of(action)
        db = self.db(org_id, system)
        with self._lock:
            if system == "retail":
                return retail.state(db, action, params)
            return airline.state(db, action, params, context)

    def execute(
        self, *, org_id: uuid.UUID, action: str, params: dict[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        """Run the tool; a repeated idempotency key returns the first outcome without running again."""
        system = self.system_of(action)
        db = self.db(org_id, system)
        module: Any = retail if system == "retail" else airline
        with self._lock:
            done = self._done.get((org_id, idempotency_key))
            if done is not None:
                return done
            keys = module.touched(db, action, params)
            snapshot = {f"{t}/{k}": copy.deepcopy(db[t].get(k)) for t, k in keys}
            try:
                result = module.TOOLS[action](db, copy.deepcopy(params))
            except retail.ToolError as exc:
                self._restore(db, snapshot)
                raise ActionRefused(f"{action} refused by the system of record: {exc}") from None
            outcome = {"result": copy.deepcopy(result), "snapshot": snapshot, "system": system}
            self._done[(org_id, idempotency_key)] = outcome
            return outcome

    def compensate(
        self, *, org_id: uuid.UUID, action: str, params: dict[str, Any], outcome: dict[str, Any]
    ) -> dict[str, Any]:
        """Restore the records the action touched to their state before it ran."""
        db = self.db(org_id, outcome.get("system") or self.system_of(action))
        with self._lock:
            self._restore(db, outcome.get("snapshot") or {})
        return {"restored": sorted((outcome.get("snapshot") or {}).keys())}

    @staticmethod
    def _restore(db: dict[str, Any], snapshot: dict[str, Any]) -> None:
        for ref, value in snapshot.items():
            table, key = ref.split("/", 1)
            if value is None:
                db[table].pop(key, None)
            else:
                db[table][key] = copy.deepcopy(value)
