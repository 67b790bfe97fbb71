"""The sink tests' project: its lineage goes to a file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.openlineage import Hub


@pytest.fixture
def file_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub whose lineage goes to ``lineage.jsonl`` in the project."""
    hub = Hub(tmp_path / "hub", "  file: lineage.jsonl\n")
    yield hub
    hub.store.close()
