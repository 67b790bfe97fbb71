"""Fixtures of the lake tests: a lake on each store, with or without a catalog; contexts.

Fixture names are specific (``lake``, ``batch_ctx``…) so that test modules written by
other people in this folder are not surprised by them. Plain helpers are in
``lake_support.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sluiceway.lake.commit import WriteContext
from sluiceway.lake.service import Lake
from unit.lake.lake_support import LOADED_AT


@pytest.fixture
def batch_ctx() -> Callable[..., WriteContext]:
    """Make the write context of batch ``n`` (run ``run-n``, app ``test/step``)."""

    def make(n: int, app_id: str = "test/step", source: str | None = "unit") -> WriteContext:
        return WriteContext(
            run_id=f"run-{n}", app_id=app_id, batch=n, source=source, loaded_at=LOADED_AT
        )

    return make


@pytest.fixture
def lake(lake_storage: Any) -> Lake:
    """A lake without a catalog, on each store."""
    return Lake(lake_storage)


@pytest.fixture
def cataloged_lake(lake_storage: Any, store: Any) -> Lake:
    """A lake with a metadata store (parametrize with ``LAKE_AND_STORE``)."""
    return Lake(lake_storage, store=store)
