"""The HTTP edge: FastAPI routes, request signatures and problem responses."""
