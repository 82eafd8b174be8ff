"""A real server on a loopback port and a real Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn

from cxops.core.config import load_settings
from cxops.entrypoints.http.app import create_app
from tests.conftest import KNOWLEDGE_ROOTS, REPO, auth, make_org_keys
from tests.factories import interaction

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The app on 127.0.0.1 with a little data and keys of every role."""
    data_dir = tmp_path_factory.mktemp("e2e")
    settings = load_settings(
        {
            "CXOPS_DATA_DIR": str(data_dir),
            "CXOPS_RATE_LIMIT_PER_MINUTE": "0",
            "CXOPS_LOG_LEVEL": "WARNING",
            "CXOPS_KNOWLEDGE_ROOTS": KNOWLEDGE_ROOTS,
            # the models the test session builds once; live assist runs in its inference processes, as served
            "CXOPS_MODELS_DIR": str(REPO / ".cxops-data" / "test-models"),
        }
    )
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    keys = make_org_keys(app.state.session_factory, "acme")
    body = b"\n".join(
        orjson.dumps(interaction(i, channel=["voice", "chat", "email"][i % 3], turns=6)) for i in range(30)
    )
    r = httpx.post(
        f"{base}/v1/interactions/bulk",
        content=body,
        headers={**auth(keys["service"]), "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200 and r.json()["created"] == 30
    yield {"base": base, "keys": keys, "app": app}
    server.should_exit = True
    thread.join(timeout=10)


# Module scope: Playwright's sync API keeps an event loop on this thread while it runs, which would break
# asyncio.run() in other test files sharing the xdist worker (e.g. the MCP server tests).
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the test command installs Debian's chromium (make test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, key: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("nav a")


os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
