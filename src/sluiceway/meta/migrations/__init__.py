"""Alembic migrations of the metadata store (a package so the files ship in the wheel)."""
