"""The documentation's complete-file examples are a project that validates.

A fenced block whose first line is ``# file: path`` (or ``-- file: path`` in SQL) is a whole
file; the blocks of one page make one project.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)
_MARKER = re.compile(r"^(?:#|--) file: (\S+)\n")


def example_files(page: Path) -> dict[str, str]:
    """``path → text`` of the complete-file examples on ``page``."""
    files = {}
    for block in _BLOCK.findall(page.read_text(encoding="utf-8")):
        marker = _MARKER.match(block)
        if marker:
            files[marker.group(1)] = block[marker.end() :]
    return files


@pytest.mark.parametrize(
    ("page", "pipelines"),
    [
        ("projects.md", ["orders"]),
        (
            "templates.md",
            [
                "ingest_orders",
                "ingest_customers",
                "ingest_products",
                "mirror_refunds",
                "mirror_returns",
                "mirror_stock",
            ],
        ),
    ],
)
def test_doc_examples_validate(page, pipelines, tmp_path, make_project, load) -> None:
    files = example_files(REPO / "docs" / page)
    assert files, f"no complete-file examples in docs/{page}"
    settings = None if "sluiceway.yaml" in files else "name: shop\n"
    project = load(make_project(files, settings=settings))
    assert list(project.pipelines) == pipelines
