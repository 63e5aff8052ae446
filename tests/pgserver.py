"""The throwaway PostgreSQL server of the integration tests: the benchmark's (bench/pgserver.py)."""

from __future__ import annotations

from bench.pgserver import PostgresServer

__all__ = ["PostgresServer"]
