"""The example project shipped with Sluiceway validates cleanly, in every environment."""

from __future__ import annotations

from pathlib import Path

import pytest

import sluiceway

SHOP = Path(sluiceway.__file__).parent / "scaffold" / "shop"


@pytest.mark.skipif(not (SHOP / "sluiceway.yaml").is_file(), reason="scaffold/shop not written yet")
@pytest.mark.parametrize("env", [None, "dev"])
def test_shop_example_validates(env, load) -> None:
    project = load(SHOP, env=env)
    assert project.settings.name == "shop"
    assert len(project.pipelines) >= 1
    templated = [p for p in project.pipelines.values() if p.origin.is_template]
    assert templated, "the example shows a template"
    for pipeline, step in project.steps():
        location = project.location(pipeline, "steps", pipeline.steps.index(step), "name")
        assert location.file.startswith("pipelines/") and location.line
