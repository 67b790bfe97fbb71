"""A project whose landing zone is a local folder or an S3 bucket (moto), for ingest tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluiceway.meta.ledger import FileRecord, LedgerRepo
from sluiceway.meta.store import open_project_store
from sluiceway.orchestrate.runner import RunReport, run_pipeline
from sluiceway.spec.project import Project, load_project

STATUSES = ("seen", "loaded", "failed", "duplicate", "skipped")


@dataclass
class IngestProject:
    """A project folder with a landing zone, run in this process or as the CLI."""

    root: Path
    landing: str
    environ: dict[str, str]
    endpoint: Any = None

    @property
    def is_s3(self) -> bool:
        return self.landing.startswith("s3://")

    def write(self, path: str, text: str) -> None:
        file = self.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")

    def put(self, path: str, data: bytes | str) -> None:
        """Drop a file into the landing zone."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if self.is_s3:
            bucket, _, prefix = self.landing.removeprefix("s3://").partition("/")
            self.endpoint.client().put_object(Bucket=bucket, Key=f"{prefix}/{path}", Body=raw)
            return
        file = Path(self.landing) / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(raw)

    def landed(self) -> list[str]:
        """Every file under the landing root, relative, sorted."""
        if self.is_s3:
            bucket, _, prefix = self.landing.removeprefix("s3://").partition("/")
            found = self.endpoint.client().list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/")
            keys = [o["Key"] for o in found.get("Contents", []) if not o["Key"].endswith("/")]
            return sorted(key.removeprefix(f"{prefix}/") for key in keys)  # no folder markers
        base = Path(self.landing)
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())

    def project(self) -> Project:
        return load_project(self.root, environ=self.environ)

    def run(self, pipeline: str, **options: Any) -> RunReport:
        project = self.project()
        with open_project_store(project) as store:
            return run_pipeline(project, pipeline, store, **options)

    def cli(self, *args: str) -> subprocess.Popen[str]:
        """``sluiceway --project ROOT ARGS`` in a child process (output piped)."""
        code = "import sys; from sluiceway.cli.main import run; sys.exit(run(sys.argv[1:]))"
        command = [sys.executable, "-c", code, "--project", str(self.root), *args]
        return subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **self.environ},
        )

    def ledger(self, pipeline: str, step: str) -> list[FileRecord]:
        with open_project_store(self.project()) as store:
            return LedgerRepo(store).with_status(pipeline, step, STATUSES)

    def events(self, kind: str) -> list[Any]:
        """The events of type ``kind`` in the project's log, oldest first."""
        from sluiceway.events.log import EventLog

        with open_project_store(self.project()) as store:
            return EventLog(store).read(types=[kind])

    def table(self, name: str) -> pa.Table:
        from sluiceway.lake.service import Lake

        with open_project_store(self.project()) as store:
            return Lake.for_project(self.project(), store).table(name).read()


@pytest.fixture(
    params=[pytest.param("file", id="file"), pytest.param("s3", id="s3", marks=pytest.mark.s3)]
)
def ingest_project(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[IngestProject]:
    """An empty project (lake local) with its landing zone on a folder, then on S3."""
    root = tmp_path / "project"
    (root / "pipelines").mkdir(parents=True)
    environ: dict[str, str] = {}
    endpoint = None
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        environ = endpoint.environ()
        for key, value in environ.items():
            monkeypatch.setenv(key, value)
        landing = f"s3://{endpoint.new_bucket()}/landing"
    else:
        landing = str(tmp_path / "landing")
        Path(landing).mkdir()
    (root / "sluiceway.yaml").write_text(f"name: shop\nlanding: {landing}\n", encoding="utf-8")
    yield IngestProject(root, landing, environ, endpoint)
