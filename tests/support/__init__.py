"""Helpers shared by tests (importable: ``tests`` is on pytest's python path)."""
