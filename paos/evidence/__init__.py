"""Stages 1-2: evidence files in, validated frames out (`load_evidence`)."""

__all__ = ["intake", "validate", "schemas", "scaffold"]
