"""Ingestion: bringing outside data into the raw layer, exactly once, losing nothing.

* :mod:`sluiceway.ingest.files` — files from a landing zone (local or ``s3://``), tracked in
  the file ledger, with rows that break the contract routed to ``<table>__quarantine``;
* :mod:`sluiceway.ingest.database` — tables and queries from SQL databases, in chunks,
  fully or incrementally by a cursor column whose watermark is committed with the data.
"""
