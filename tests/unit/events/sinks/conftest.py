"""The sink tests' project: its lineage goes to a file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.openlineage import Hub


@pytest.fixture
def file_hub(tmp_path: Path, metadata_url: str) -> Iterator[Hub]:
    """A hub whose lineage goes to ``lineage.jsonl`` in the project, on SQLite and on
    PostgreSQL."""
    hub = Hub(tmp_path / "hub", "  file: lineage.jsonl\n", metadata_url)
    yield hub
    hub.store.close()
