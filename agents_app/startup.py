"""Loading the agents' tools and profiles when a process that serves or runs agents starts.

Listing an MCP server's tools starts a stdio server (or reaches an HTTP one), so only those processes do it,
from `navi_project.asgi` (daphne front ends, `runworker`, `runserver`); a broken file or a server that fails is
then reported by name at start-up, not at the first run. Other processes (`migrate`, every other management
command) load them on first use, if ever.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("agents_app")


def agents_startup_load() -> None:
    from agents_app.profiles import profile_catalog

    catalog = profile_catalog()
    logger.info("profiles loaded: %s", ", ".join(sorted(catalog)) or "none")
