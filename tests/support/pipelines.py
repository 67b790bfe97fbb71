"""Pipeline files the orchestration tests share."""

INGEST_ON_FILES = """
name: ingest
on:
  - {type: files, glob: "orders/*.csv"}
steps:
  - name: load
    type: ingest
    table: raw.orders
    source: {type: files, glob: "orders/*.csv", format: csv}
"""
"""Loads each CSV landing under ``orders/`` into ``raw.orders``, triggered by its arrival."""
