"""The web console: one HTML shell, a small vanilla-JS app, and one script per page (static/pages/*.js).

Everything is served from the package: no CDN, works offline. Each domain adds its pages by dropping a
script into static/pages/ that calls `cx.page(...)`; the shell lists them automatically.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from cxops.core.errors import NotFound

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


@lru_cache(maxsize=1)
def _shell() -> str:
    pages = sorted(p.name for p in (STATIC / "pages").glob("*.js"))
    scripts = "\n".join(f'<script src="/static/pages/{escape(name)}" defer></script>' for name in pages)
    return (STATIC / "index.html").read_text(encoding="utf-8").replace("<!--PAGES-->", scripts)


@router.get("/", response_class=HTMLResponse)
def index() -> HTMLResponse:
    return HTMLResponse(
        _shell(),
        headers={
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    target = (STATIC / path).resolve()
    if STATIC.resolve() not in target.parents or not target.is_file() or target.suffix not in _TYPES:
        raise NotFound(f"no console asset {path!r}")
    return FileResponse(target, media_type=_TYPES[target.suffix], headers={"Cache-Control": "no-cache"})
