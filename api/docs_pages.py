"""`/docs` (Swagger UI) and `/redoc` (ReDoc) from assets installed with the project: no CDN.

The scripts and styles come from the `fastapi-offline` package (Swagger UI: Apache-2.0,
SmartBear; ReDoc: MIT, Redocly; the package itself: MIT). The pages also carry a
Content-Security-Policy that lets them load from this server only, so whatever the bundled
scripts reference (ReDoc's attribution logo is an image on a CDN) no request leaves the machine.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_PATH = "/docs-assets"
SAME_ORIGIN_ONLY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' 'unsafe-inline'",  # each page starts its bundle with an inline script
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",  # ReDoc's search runs in a worker it builds from a blob
        "frame-ancestors 'none'",
    )
)


def serve_docs_pages(app: FastAPI) -> None:
    """Adds `/docs`, `/redoc` and their assets to the app (built with docs_url=None)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    headers = {"Content-Security-Policy": SAME_ORIGIN_ONLY}

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            # Swagger UI would otherwise send the document to an online validator for a badge.
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers.update(headers)
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
        page.headers.update(headers)
        return page
