"""Property-based run of every OpenAPI operation (schemathesis): no input may cause a 500."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from cxops.core.config import load_settings
from cxops.entrypoints.http.app import create_app
from tests.conftest import make_org_keys

pytestmark = pytest.mark.slow


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_ctx, value) -> bytes:  # type: ignore[no-untyped-def]
    """Generated bodies for NDJSON endpoints: any generated value as text lines."""
    # json, not orjson: generated integers may exceed 64 bits
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


# The schema is read at collection time, so the app is built at import; the fixture migrates it and makes a key.
_DATA = tempfile.mkdtemp(prefix="cxops-fuzz-")
APP = create_app(
    load_settings({"CXOPS_DATA_DIR": _DATA, "CXOPS_RATE_LIMIT_PER_MINUTE": "0", "CXOPS_LOG_LEVEL": "CRITICAL"}),
    dispatch=False,
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def admin_key() -> Iterator[str]:
    with TestClient(APP):
        yield make_org_keys(APP.state.session_factory, "fuzz")["admin"]
    shutil.rmtree(_DATA, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_500(case, admin_key: str) -> None:  # type: ignore[no-untyped-def]
    response = case.call(headers={"Authorization": f"Bearer {admin_key}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
