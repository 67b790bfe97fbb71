"""``openlineage:`` in sluiceway.yaml: what is accepted, and what is refused before a run."""

from __future__ import annotations

from datetime import timedelta

PIPELINE = {
    "pipelines/p.yaml": "name: p\nsteps:\n  - {name: s, type: sql, query: select 1, table: raw.s}\n"
}


def test_a_receiver_and_a_file(make_project, load) -> None:
    settings = (
        "name: shop\nopenlineage:\n  url: https://lineage.example.com\n"
        "  api_key: ${env:OL_KEY}\n  file: lineage/events.jsonl\n  timeout: 2s\n"
    )
    lineage = load(make_project(PIPELINE, settings=settings)).settings.openlineage
    assert lineage.url == "https://lineage.example.com"
    assert lineage.endpoint == "api/v1/lineage"
    assert lineage.api_key == "${env:OL_KEY}"
    assert (lineage.timeout, lineage.retries) == (timedelta(seconds=2), 5)


def test_nothing_is_sent_without_the_section(make_project, load) -> None:
    assert load(make_project(PIPELINE, settings="name: shop\n")).settings.openlineage is None


def test_a_url_without_scheme_is_refused_with_its_line(make_project, problems_of) -> None:
    settings = "name: shop\nopenlineage:\n  url: marquez:5000\n"
    (problem,) = problems_of(make_project(PIPELINE, settings=settings))
    assert "http://" in problem.message
    assert problem.location.line == 3


def test_a_literal_key_is_refused(make_project, problems_of) -> None:
    settings = "name: shop\nopenlineage:\n  url: http://m:5000\n  api_key: s3cret\n"
    (problem,) = problems_of(make_project(PIPELINE, settings=settings))
    assert "${env:NAME}" in problem.message
    assert "s3cret" not in str(problem)


def test_neither_url_nor_file_is_refused(make_project, problems_of) -> None:
    settings = "name: shop\nopenlineage:\n  namespace: shop\n"
    (problem,) = problems_of(make_project(PIPELINE, settings=settings))
    assert "url, a file, or both" in problem.message
