"""The browser console: agent panel, supervisor board, records, playbook and training pages, served by `calmline serve`."""

from __future__ import annotations

from fastapi import FastAPI

from calmline.web.pages import add_pages


def mount(app: FastAPI) -> None:
    """Add the console's pages and static assets to the server ``app``."""
    add_pages(app)
