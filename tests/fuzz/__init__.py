"""Fuzz targets. The names live here so tests can list them without importing the harness, whose
import instruments the exchange modules for coverage (and would slow every later test)."""

TARGET_NAMES = ("checkpoint", "covenant", "envelope", "proof", "records")
