"""The HTTP application: composition root binding domains, storage, auth, console and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

import cxops
from cxops.contracts.events import BULK_EVENT_TYPES
from cxops.core.config import Settings, get_settings
from cxops.core.db import make_engine, make_session_factory
from cxops.core.errors import CxopsError
from cxops.core.events import OutboxDispatcher, Subscriptions
from cxops.core.logging import configure_logging
from cxops.core.migrate import upgrade
from cxops.core.process import tune_gc
from cxops.core.web import KeyCache
from cxops.domains.actions.router import router as actions_router
from cxops.domains.analytics import wiring as analytics_wiring
from cxops.domains.analytics.router import router as analytics_router
from cxops.domains.assist.doc_router import router as documentation_router
from cxops.domains.assist.router import router as assist_router
from cxops.domains.directory.router import router as directory_router
from cxops.domains.interactions.router import router as interactions_router
from cxops.domains.knowledge import wiring as knowledge_wiring
from cxops.domains.knowledge.router import router as knowledge_router
from cxops.domains.pilots.router import router as pilots_router
from cxops.domains.qa import wiring as qa_wiring
from cxops.domains.qa.router import router as qa_router
from cxops.domains.trust import wiring as trust_wiring
from cxops.domains.trust.router import router as trust_router
from cxops.domains.wfm.router import router as wfm_router
from cxops.domains.workflows import wiring as workflows_wiring
from cxops.domains.workflows.expiry import ExpiryScheduler
from cxops.domains.workflows.router import readiness_router
from cxops.domains.workflows.router import router as workflows_router
from cxops.entrypoints import autodoc_wiring, trust_bindings
from cxops.entrypoints.actions_wiring import action_recovery, actions_runtime
from cxops.entrypoints.analytics_ports import analytics_ports
from cxops.entrypoints.assist_wiring import assist_engine
from cxops.entrypoints.console.routes import router as console_router
from cxops.entrypoints.http.backlog_routes import router as backlog_router
from cxops.entrypoints.http.middleware import LimitsMiddleware, MetricsMiddleware
from cxops.entrypoints.http.session_routes import router as session_router
from cxops.entrypoints.qa_wiring import FactsFromDomains, qa_encoder
from cxops.entrypoints.redaction import ingestion_redactor
from cxops.integrations.embeddings import default_embedder
from cxops.integrations.nats import health as nats_health
from cxops.integrations.nats.local import local_listener
from cxops.integrations.webhooks import HttpWebhookSender

log = logging.getLogger("cxops.app")


def build_subscriptions(models_dir: Path | None = None) -> Subscriptions:
    """Wire every domain's event consumers (domains register theirs here as they are added)."""
    subs = analytics_wiring.subscribe(trust_bindings.subscribe(trust_wiring.subscribe(Subscriptions())))
    subs = qa_wiring.subscribe(subs, qa_encoder(models_dir), FactsFromDomains())
    subs = autodoc_wiring.subscribe(knowledge_wiring.subscribe(subs), models_dir)
    return workflows_wiring.subscribe(subs, HttpWebhookSender())


def _error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}}


def install_error_handlers(app: FastAPI) -> None:
    """One rendering of errors: {"error": {"code", "message", "field"?, "details"?}}."""

    @app.exception_handler(CxopsError)
    async def _cxops(_: Request, exc: CxopsError) -> JSONResponse:
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body") or "body", "message": e["msg"]}
            for e in exc.errors()[:50]
        ]
        first = errors[0] if errors else {"field": "body", "message": "invalid request"}
        return JSONResponse(
            _error_body(
                "validation_failed", f"{first['field']}: {first['message']}", field=first["field"], details=errors
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(_error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", extra={"exc_type": type(exc).__name__})
        return JSONResponse(_error_body("internal_error", "internal error; see server logs"), status_code=500)


def create_app(settings: Settings | None = None, *, migrate: bool = True, dispatch: bool | None = None) -> FastAPI:
    """Build the app for `settings`; runs migrations and starts the embedded event dispatcher."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    factory = make_session_factory(engine)
    # With NATS the API only writes the outbox; `cxops worker` processes relay and consume (docs/production.md).
    run_dispatch = (settings.embedded_dispatch and not settings.nats_url) if dispatch is None else dispatch

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            upgrade(engine)
        if run_dispatch:  # no worker process: this one also recovers interrupted action executions
            app.state.dispatcher.start()
            app.state.action_recovery.start()
        app.state.trust_purger.start()
        app.state.approval_expiry.start()
        local = local_listener(settings, factory, app.state.dispatcher.subscriptions)  # NATS: process-local consumers
        tune_gc()
        if settings.assist_inference == "process":
            # start the assist inference processes (encoder, intent model, search index) now, in the background,
            # not at the first live call: that call's first segment would wait for them (~8 s on 2 cores)
            app.state.assist.ensure_started()
        yield
        await app.state.assist.aclose()
        if local is not None:
            local.stop()
        app.state.trust_purger.stop()
        app.state.approval_expiry.stop()
        app.state.action_recovery.stop()
        app.state.dispatcher.stop()
        engine.dispose()

    app = FastAPI(title="cxops", version=cxops.__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = factory
    app.state.key_cache = KeyCache()
    app.state.actions_runtime = actions_runtime(factory)
    app.state.action_recovery = action_recovery(settings, factory, app.state.actions_runtime)
    app.state.pilot_trust = trust_bindings.PilotTrustEffects()
    app.state.dispatcher = OutboxDispatcher(
        factory, build_subscriptions(settings.effective_models_dir), bulk_types=BULK_EVENT_TYPES
    )
    app.state.qa_encoder = qa_encoder(settings.effective_models_dir)
    app.state.documentation_ports = autodoc_wiring.bind(settings)
    app.state.qa_facts = FactsFromDomains()
    app.state.webhook_sender = HttpWebhookSender()
    app.state.redactor = ingestion_redactor(settings)
    app.state.trust_purger = trust_wiring.PurgeScheduler(factory, settings.trust_purge_interval_s)
    app.state.approval_expiry = ExpiryScheduler(factory, settings.workflows_expiry_interval_s)
    app.state.embedder = default_embedder(settings.effective_models_dir)  # built lazily at first use
    app.state.assist = assist_engine(settings, factory, app.state.embedder, app.state.redactor)
    app.state.analytics_ports = analytics_ports(settings.data_dir, app.state.embedder, app.state.actions_runtime)
    install_error_handlers(app)
    for router in (
        directory_router,
        interactions_router,
        analytics_router,
        knowledge_router,
        pilots_router,
        qa_router,
        workflows_router,
        readiness_router,
        trust_router,
        actions_router,
        wfm_router,
        documentation_router,
        assist_router,
        session_router,
        backlog_router,
        console_router,
    ):
        app.include_router(router)
    _ops_routes(app)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(
        LimitsMiddleware,
        max_json_bytes=settings.max_json_bytes,
        max_stream_bytes=settings.max_request_bytes,
        per_minute=settings.rate_limit_per_minute,
    )
    return app


def _ops_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    def readyz() -> JSONResponse:
        """Readiness: the database answers and the schema is migrated."""
        try:
            with app.state.engine.connect() as conn:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception as exc:
            return JSONResponse(
                {"status": "not_ready", "database": f"unreachable or not migrated ({type(exc).__name__})"},
                status_code=503,
            )
        body = {"status": "ready", "database": "ok", "schema": version}
        nats_url = app.state.settings.nats_url
        problem = nats_health.check(nats_url) if nats_url else None
        if nats_url:
            body["nats"] = problem or "ok"
        return JSONResponse({**body, "status": "not_ready"} if problem else body, status_code=503 if problem else 200)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
