"""The web view for caseworkers, team leaders and the citizen (docs/web.md): server-rendered
pages (Jinja2, no build step) served by `stafet serve` at ``/`` beside the HTTP API, on the
same Ledger and Reader. Reading works without JavaScript; a small script updates the case page
live from the feed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from stafet.http.app import Services


def register(app: FastAPI, services: Services) -> None:
    """Mount the web view's pages, static files and security headers on the API's app."""
    from stafet.web.routes import register as register_routes

    register_routes(app, services)
