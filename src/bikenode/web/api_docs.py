"""The API reference at /docs: Swagger UI from the package's own files, nothing from a CDN."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from bikenode.web.frontend import load_bundle

SWAGGER_UI = "vendor/swagger-ui-5.36.0"  # pinned in scripts/vendor-frontend
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BikeNode API reference</title>
<link rel="icon" href="{static}/app/icon.svg">
<link rel="stylesheet" href="{static}/{swagger}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{static}/{swagger}/swagger-ui-bundle.js"></script>
<script src="{static}/api-docs.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_reference() -> HTMLResponse:
    """The OpenAPI reference, rendered by the vendored Swagger UI."""
    static = f"/static/{load_bundle().build}"
    return HTMLResponse(
        PAGE.format(static=static, swagger=SWAGGER_UI), headers={"Cache-Control": "no-cache"}
    )
