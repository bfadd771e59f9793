"""The JSON body of a plain (non-DRF) view, held to the rules DRF views follow: `application/json` only."""

from __future__ import annotations

import json

from navi_project.errors import ApplicationError


def json_body(request) -> object:
    if request.content_type != "application/json":
        shown = request.content_type or "none"
        raise ApplicationError(f"Send the body as application/json (Content-Type was {shown})", 415)
    try:
        return json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApplicationError(f"The body must be JSON: {exc}") from None
