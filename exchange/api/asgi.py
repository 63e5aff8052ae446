"""ASGI factory for running several workers: ``uvicorn --factory exchange.api.asgi:create --workers N``.

Each worker builds the app from the ``EXCHANGE_*`` environment; on PostgreSQL the workers share one
log safely (appends lock the head row; docs/adr/0006-log-on-sql-with-stored-subtrees.md).
"""

from __future__ import annotations

from fastapi import FastAPI

from exchange.api.app import create_app
from exchange.config import load_settings
from exchange.logging_json import configure


def create() -> FastAPI:
    configure()
    return create_app(load_settings())
