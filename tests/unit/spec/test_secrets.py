from __future__ import annotations

import pytest

from sluiceway.spec.secrets import (
    SecretNotSetError,
    is_reference,
    mask_url,
    references,
    resolve,
)


def test_resolve_replaces_every_reference() -> None:
    environ = {"USER_NAME": "app", "DB_PASSWORD": "hunter2"}
    text = "postgresql://${env:USER_NAME}:${env:DB_PASSWORD}@db/app"
    assert resolve(text, environ) == "postgresql://app:hunter2@db/app"
    assert references(text) == ["USER_NAME", "DB_PASSWORD"]


def test_resolve_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLW_TEST_TOKEN", "t0k3n")
    assert resolve("${env:SLW_TEST_TOKEN}") == "t0k3n"


def test_missing_variable_names_the_variable_never_a_value() -> None:
    with pytest.raises(SecretNotSetError) as caught:
        resolve("postgresql://u:${env:NOT_SET_ANYWHERE}@h/db", {"OTHER": "hunter2"})
    assert "NOT_SET_ANYWHERE" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_text_without_references_is_unchanged() -> None:
    assert resolve("plain $HOME {env:X}", {}) == "plain $HOME {env:X}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("${env:A}", True), (" ${env:A_1} ", True), ("x${env:A}", False), ("hunter2", False)],
)
def test_is_reference(text: str, expected: bool) -> None:
    assert is_reference(text) is expected


def test_mask_url_hides_literal_passwords_only() -> None:
    assert mask_url("postgresql://u:hunter2@h/db") == "postgresql://u:***@h/db"
    assert mask_url("postgresql://u:${env:PW}@h/db") == "postgresql://u:${env:PW}@h/db"
    assert mask_url("sqlite:///x.db") == "sqlite:///x.db"


WEBHOOK = """\
name: hooks
on:
  - {type: webhook, name: orders_ready, secret: hunter2}
steps:
  - {name: audit, type: check, table: raw.orders, checks: [{type: row_count, min: 1}]}
  - name: load
    type: ingest
    table: raw.orders
    source:
      type: database
      url: postgresql+psycopg://app:s3cr3t@db/app
      table: orders
"""


def test_literal_secrets_are_problems_and_never_printed(make_project, problems_of) -> None:
    root = make_project({"pipelines/hooks.yaml": WEBHOOK})
    problems = problems_of(root)
    assert [(p.line, p.field) for p in problems] == [
        (3, "on[0].secret"),
        (11, "steps[1].source.url"),
    ]
    for problem in problems:
        assert "secrets are referenced, never stored: write ${env:NAME}" in problem.message
        assert "hunter2" not in str(problem) and "s3cr3t" not in str(problem)
        assert "hunter2" not in repr(problem) and "s3cr3t" not in repr(problem)
    assert problems[0].value == "***"


def test_references_are_kept_unresolved(make_project, load) -> None:
    text = WEBHOOK.replace("hunter2", '"${env:HOOK_SECRET}"').replace("s3cr3t", "${env:DB_PW}")
    root = make_project({"pipelines/hooks.yaml": text})
    project = load(root)
    pipeline = project.pipelines["hooks"]
    assert pipeline.on[0].secret == "${env:HOOK_SECRET}"  # type: ignore[union-attr]
    assert "${env:DB_PW}" in repr(pipeline)


def test_metadata_url_with_a_literal_password_is_a_problem(make_project, problems_of) -> None:
    settings = "name: shop\nmetadata: postgresql+psycopg://u:hunter2@db/meta\n"
    root = make_project({}, settings=settings)
    (problem,) = problems_of(root)
    assert (problem.file, problem.line, problem.field) == ("sluiceway.yaml", 2, "metadata")
    assert problem.value == "***"
    assert "hunter2" not in str(problem)
