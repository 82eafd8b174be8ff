"""A NATS or PostgreSQL that is down: a clear message naming the URL (no password) and what to check,
and /readyz saying not ready; never a bare traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cxops.core.config import Settings, get_settings, load_settings
from cxops.core.events import Subscriptions
from cxops.entrypoints.cli.main import app as cli
from cxops.entrypoints.http.app import create_app
from cxops.entrypoints.preflight import ServiceUnavailable
from cxops.entrypoints.worker import run_worker


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with(settings: Settings, **extra: str) -> Settings:
    return settings.model_copy(update=extra)


def test_readyz_is_not_ready_while_nats_is_down_and_names_the_url(settings: Settings) -> None:
    down = f"nats://cx:s3cret@127.0.0.1:{_closed_port()}"
    with TestClient(create_app(_with(settings, nats_url=down), dispatch=False)) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    body = response.json()
    assert response.status_code == 503 and body["status"] == "not_ready" and body["database"] == "ok"
    assert f"nats://cx:***@127.0.0.1:{down.rsplit(':', 1)[1]}" in body["nats"] and "s3cret" not in body["nats"]
    assert "CXOPS_NATS_URL" in body["nats"]


def test_api_does_not_run_consumers_in_process_when_nats_is_configured(settings: Settings) -> None:
    down = f"nats://127.0.0.1:{_closed_port()}"
    with TestClient(create_app(_with(settings, nats_url=down))) as client:
        lanes = client.app.state.dispatcher.lanes
    assert lanes == []
    with TestClient(create_app(settings)) as client:  # laptop mode: history batches get a lane of their own
        assert sorted(client.app.state.dispatcher.lanes) == ["cxops-outbox", "cxops-outbox-bulk"]


def test_worker_gives_up_on_a_down_nats_with_a_clear_message(settings: Settings) -> None:
    down = f"nats://cx:s3cret@127.0.0.1:{_closed_port()}"
    try:
        run_worker(_with(settings, nats_url=down), Subscriptions(), wait_s=0)
    except ServiceUnavailable as exc:
        message, field = exc.message, exc.field
    else:
        raise AssertionError("the worker started without NATS")
    assert field == "CXOPS_NATS_URL" and "cannot reach NATS at nats://cx:***@127.0.0.1" in message
    assert "s3cret" not in message and "nats-server is running" in message


def test_worker_command_with_a_down_database_exits_with_the_url_and_what_to_check(tmp_path: Path) -> None:
    url = f"postgresql://cx:s3cret@127.0.0.1:{_closed_port()}/cxops"
    env = {"CXOPS_DATABASE_URL": url, "CXOPS_DATA_DIR": str(tmp_path), "CXOPS_LOG_LEVEL": "WARNING"}
    load_settings(env)  # valid settings: the failure is the unreachable server
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["worker", "--wait", "0"], env=env)
    finally:
        get_settings.cache_clear()
    out = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "cannot reach the database at postgresql+psycopg://cx:***@127.0.0.1" in out and "s3cret" not in out
    assert "Check CXOPS_DATABASE_URL" in out
