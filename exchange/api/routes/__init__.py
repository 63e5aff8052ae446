"""One router per resource; :func:`exchange.api.app.create_app` includes them all."""
