"""URL handling: ${env:NAME} references, masking, project-relative SQLite paths."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from sluiceway.errors import SluicewayError
from sluiceway.meta.urls import (
    DEFAULT_URL,
    anchor_sqlite_path,
    mask_url,
    project_metadata_url,
)


def _project(root: Path, metadata: str | None) -> SimpleNamespace:
    return SimpleNamespace(root=root, settings=SimpleNamespace(metadata=metadata))


def test_env_refs_are_replaced(tmp_path: Path) -> None:
    project = _project(tmp_path, "postgresql+psycopg://sw:${env:PGPASS}@${env:PGHOST}/sw")
    assert project_metadata_url(project, {"PGPASS": "s3cret", "PGHOST": "db"}) == (
        "postgresql+psycopg://sw:s3cret@db/sw"
    )


def test_missing_env_ref_names_the_variable_not_a_value(tmp_path: Path) -> None:
    project = _project(tmp_path, "postgresql://sw:${env:PGPASS}@db/sw")
    with pytest.raises(SluicewayError, match="PGPASS is not set"):
        project_metadata_url(project, {"OTHER": "x"})


def test_mask_url_hides_the_password() -> None:
    masked = mask_url("postgresql+psycopg://sw:s3cret@db:5432/sw")
    assert "s3cret" not in masked
    assert masked == "postgresql+psycopg://sw:***@db:5432/sw"


def test_mask_url_hides_the_password_of_an_unparseable_url() -> None:
    assert "s3cret" not in mask_url("not a url://sw:s3cret@db")


def test_relative_sqlite_path_is_anchored_at_the_project(tmp_path: Path) -> None:
    url = anchor_sqlite_path(DEFAULT_URL, tmp_path)
    assert url == f"sqlite:///{tmp_path}/.sluiceway/metadata.db"
    assert (tmp_path / ".sluiceway").is_dir()


def test_absolute_sqlite_path_and_other_urls_are_kept(tmp_path: Path) -> None:
    absolute = f"sqlite:///{tmp_path}/a/meta.db"
    assert anchor_sqlite_path(absolute, Path("/elsewhere")) == absolute
    pg = "postgresql+psycopg://u@h/db"
    assert anchor_sqlite_path(pg, tmp_path) == pg
    assert anchor_sqlite_path("sqlite://", tmp_path) == "sqlite://"


def test_project_url_defaults_to_sqlite_in_the_project(tmp_path: Path) -> None:
    project = _project(tmp_path, None)
    assert project_metadata_url(project, {}).endswith(f"{tmp_path}/.sluiceway/metadata.db")


def test_project_url_resolves_env_refs(tmp_path: Path) -> None:
    project = _project(tmp_path, "sqlite:///${env:DB_FILE}")
    assert project_metadata_url(project, {"DB_FILE": "meta/x.db"}) == (
        f"sqlite:///{tmp_path}/meta/x.db"
    )
