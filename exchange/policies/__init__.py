"""Covenant as code: the covenant model, its validation, compilation to Casbin, and decisions."""
