"""HTTP routes of the knowledge hub: sources and sync, search, answer, health, attributions."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from cxops.core.auth import ALL_ROLES, MANAGERS, READERS, Principal
from cxops.core.models import Organisation
from cxops.core.web import DbSession, require
from cxops.domains.knowledge import repository, retrieval, schemas, service
from cxops.domains.knowledge.ports import Embedder

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])
Manager = Annotated[Principal, Depends(require(MANAGERS))]
Reader = Annotated[Principal, Depends(require(READERS))]
Anyone = Annotated[Principal, Depends(require(ALL_ROLES))]


def _embedder(request: Request) -> Embedder | None:
    return getattr(request.app.state, "embedder", None)


def _roots(request: Request, session: DbSession, who: Principal) -> list[Path]:
    org = session.get(Organisation, who.org_id)
    return list(request.app.state.settings.knowledge_roots_for(org.slug if org is not None else str(who.org_id)))


def _data_dir(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir)


@router.get("/sources", response_model=list[schemas.SourceRead])
def list_sources(session: DbSession, who: Reader) -> Any:
    """Every knowledge source of the organisation."""
    return repository.sources(session, who.org_id)


@router.post("/sources", response_model=schemas.SourceRead, status_code=201)
def create_source(body: schemas.SourceCreate, request: Request, session: DbSession, who: Manager) -> Any:
    """Register a source (a folder or export file inside the organisation's knowledge folders on the server)."""
    return service.create_source(session, org_id=who.org_id, data=body, roots=_roots(request, session, who))


@router.patch("/sources/{source_id}", response_model=schemas.SourceRead)
def update_source(
    source_id: uuid.UUID, body: schemas.SourceUpdate, request: Request, session: DbSession, who: Manager
) -> Any:
    """Change a source's owner, path, audience or review interval."""
    roots = _roots(request, session, who)
    return service.update_source(session, org_id=who.org_id, source_id=source_id, data=body, roots=roots)


@router.delete("/sources/{source_id}", status_code=204)
def delete_source(source_id: uuid.UUID, session: DbSession, who: Manager) -> Response:
    """Delete a source with its articles."""
    service.delete_source(session, org_id=who.org_id, source_id=source_id)
    return Response(status_code=204)


@router.post("/sources/{source_id}/reviewed", response_model=schemas.SourceReviewed)
def post_source_reviewed(
    source_id: uuid.UUID, session: DbSession, who: Manager, body: schemas.ReviewIn | None = None
) -> Any:
    """Record that the owner reviewed the whole source: its articles' next review falls one interval later."""
    reviewed_at = body.reviewed_at if body else None
    source, n = service.mark_source_reviewed(session, org_id=who.org_id, source_id=source_id, reviewed_at=reviewed_at)
    return {"source": schemas.SourceRead.model_validate(source), "articles_reviewed": n}


@router.post("/articles/{article_id}/reviewed", response_model=schemas.ArticleReviewRead)
def post_article_reviewed(
    article_id: uuid.UUID, session: DbSession, who: Manager, body: schemas.ReviewIn | None = None
) -> Any:
    """Record that one article was reviewed (e.g. after fixing a conflict the health report found)."""
    reviewed_at = body.reviewed_at if body else None
    return service.mark_article_reviewed(session, org_id=who.org_id, article_id=article_id, reviewed_at=reviewed_at)


@router.post("/sources/{source_id}/sync", response_model=schemas.SyncRunRead)
def sync_source(source_id: uuid.UUID, request: Request, session: DbSession, who: Manager) -> Any:
    """Re-read a source: added, changed and removed articles by content hash; per-file errors reported."""
    return service.sync(session, org_id=who.org_id, source_id=source_id, embedder=_embedder(request))


@router.get("/sources/{source_id}/runs", response_model=list[schemas.SyncRunRead])
def list_runs(source_id: uuid.UUID, session: DbSession, who: Reader) -> Any:
    """The latest sync runs of a source, newest first."""
    return repository.sync_runs(session, who.org_id, source_id)


@router.get("/articles/{article_id}/history", response_model=list[schemas.ArticleVersionRead])
def article_history(article_id: uuid.UUID, session: DbSession, who: Reader) -> Any:
    """Every added, changed or removed version of an article, oldest first."""
    service.article_or_404(session, org_id=who.org_id, article_id=article_id)
    return repository.article_history(session, article_id)


@router.post("/search", response_model=schemas.SearchResponse)
def search(body: schemas.SearchQuery, request: Request, session: DbSession, who: Anyone) -> Any:
    """Hybrid search limited to what the caller may see, with citations and calibrated confidence."""
    access = service.access_for(who.role, region=body.region, tier=body.tier)
    results, note = retrieval.search(
        session, org_id=who.org_id, data_dir=_data_dir(request), embedder=_embedder(request),
        query=body.query, access=access, k=body.k, mode=body.mode,
    )  # fmt: skip
    service.annotate_freshness(session, org_id=who.org_id, results=results, access=access)
    return {"query": body.query, "mode": body.mode if note is None else "bm25", "results": results, "note": note}


@router.post("/answer", response_model=schemas.AnswerResponse)
def answer(body: schemas.AnswerQuery, request: Request, session: DbSession, who: Anyone) -> Any:
    """The best grounded passages, or an abstention when confidence is below the threshold."""
    access = service.access_for(who.role, region=body.region, tier=body.tier)
    results, _ = retrieval.search(
        session, org_id=who.org_id, data_dir=_data_dir(request), embedder=_embedder(request),
        query=body.query, access=access, k=body.k, mode=body.mode,
    )  # fmt: skip
    service.annotate_freshness(session, org_id=who.org_id, results=results, access=access)
    return {"query": body.query, **retrieval.answer(results, threshold=body.threshold)}


@router.get("/health")
def get_health(request: Request, session: DbSession, who: Reader) -> dict[str, Any]:
    """Readiness score with reasons, duplicates, conflicts, stale articles and coverage gaps."""
    return service.knowledge_health(
        session, org_id=who.org_id, data_dir=_data_dir(request), embedder=_embedder(request)
    )


@router.post("/attributions", response_model=schemas.AttributionRead, status_code=201)
def post_attribution(body: schemas.AttributionCreate, session: DbSession, who: Anyone) -> Any:
    """Record that an article was shown or used in an interaction."""
    return service.record_attribution(session, org_id=who.org_id, data=body)


@router.get("/attributions/articles")
def article_resolution(session: DbSession, who: Reader) -> list[dict[str, Any]]:
    """Per article: interactions it appeared in, how many resolved, resolution rate (worst first)."""
    return repository.article_resolution(session, who.org_id)
