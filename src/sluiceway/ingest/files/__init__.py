"""File ingestion from the landing zone: see :mod:`sluiceway.ingest.files.step`."""
