"""Logs that say which run and step they belong to, and each step attempt's own log.

Two things, one mechanism:

* **Context.** While a step attempt runs, :func:`step_log` sets the run id, pipeline, step
  and attempt in context variables; every log record emitted in that context carries them
  (:class:`ContextFilter`), and :class:`JsonFormatter` writes them as fields: one JSON object
  per line, what log collectors (Loki, CloudWatch, Elasticsearch) index without parsing.
* **Capture.** The same records, and what a ``python`` step prints, are appended to the
  attempt's own file, ``{logs}/{run_id}/{step}.{attempt}.jsonl`` — in the run's process or
  in a worker process alike — which ``sluiceway logs RUN_ID`` reads back, ``--follow``
  included. Records from other threads or other steps never land in a step's file: the
  capturing handler keeps only records emitted in that step's context.

This module imports nothing from the rest of the package, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("sluiceway_log_context", default=None)
FIELDS = ("run_id", "pipeline", "step", "attempt")


def current() -> dict[str, Any]:
    """The run and step fields of the current context (empty outside a step)."""
    return dict(_CONTEXT.get() or {})


class ContextFilter(logging.Filter):
    """Adds the current run and step fields to every record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, run and step fields."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(to_entry(record), ensure_ascii=False, default=str)


def to_entry(record: logging.LogRecord) -> dict[str, Any]:
    """The JSON fields of ``record``."""
    entry: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
    }
    for name in FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            entry[name] = value
    stream = getattr(record, "stream", None)
    if stream is not None:
        entry["stream"] = stream
    if record.exc_info:
        entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
    return entry


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Send the root logger's records to stderr as text or JSON, with run and step fields.

    Args:
        fmt: ``"json"`` (one object per line) or ``"text"`` (for people).
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_sluiceway", False)]:
        root.removeHandler(old)
    handler._sluiceway = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


@contextlib.contextmanager
def run_context(run_id: str, pipeline: str) -> Iterator[None]:
    """Records emitted in the block carry the run's id and pipeline."""
    token = _CONTEXT.set({"run_id": run_id, "pipeline": pipeline})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def step_log_path(folder: Path, run_id: str, step: str, attempt: int) -> Path:
    """Where an attempt's log is kept."""
    return folder / run_id / f"{step}.{attempt}.jsonl"


class _CaptureHandler(logging.Handler):
    """Appends the records of one step context to its file."""

    def __init__(self, path: Path, context: dict[str, Any]) -> None:
        super().__init__(logging.DEBUG)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._context = context
        self._lock_file = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if _CONTEXT.get() is not self._context:
            return  # another thread, or another step of the same process
        for name, value in self._context.items():
            if not hasattr(record, name):
                setattr(record, name, value)
        line = json.dumps(to_entry(record), ensure_ascii=False, default=str)
        with self._lock_file:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock_file:
            self._file.close()
        super().close()


class _PrintedLines(io.TextIOBase):
    """A text stream whose lines become log records (``print`` in a ``python`` step)."""

    def __init__(self, logger: logging.Logger, stream: str, echo: TextIO) -> None:
        self._logger = logger
        self._stream = stream
        self._echo = echo
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if _CONTEXT.get() is None:  # another thread printing meanwhile: not the step's
            return self._echo.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._logger.info(line, extra={"stream": self._stream})
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._logger.info(self._pending, extra={"stream": self._stream})
            self._pending = ""
        self._echo.flush()


@contextlib.contextmanager
def step_log(
    folder: Path | None,
    *,
    run_id: str,
    pipeline: str,
    step: str,
    attempt: int,
    capture_prints: bool = False,
) -> Iterator[Path | None]:
    """Run the block as one step attempt: its records carry its ids and go to its file.

    Args:
        folder: the logs folder (None: context only, no file).
        capture_prints: also turn what the block prints into records (user code).

    Yields:
        The attempt's log file (None without a folder).
    """
    context = {"run_id": run_id, "pipeline": pipeline, "step": step, "attempt": attempt}
    token = _CONTEXT.set(context)
    handler = None
    path = None
    root = logging.getLogger()
    if folder is not None:
        path = step_log_path(folder, run_id, step, attempt)
        handler = _CaptureHandler(path, context)
        root.addHandler(handler)
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
    try:
        if capture_prints:
            user = logging.getLogger("sluiceway.user")
            out = _PrintedLines(user, "stdout", sys.stdout)
            err = _PrintedLines(user, "stderr", sys.stderr)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    yield path
                finally:
                    out.flush()
                    err.flush()
        else:
            yield path
    finally:
        _CONTEXT.reset(token)
        if handler is not None:
            root.removeHandler(handler)
            handler.close()


@dataclass(frozen=True)
class LogEntry:
    """One line of a step attempt's log."""

    time: str
    level: str
    message: str
    step: str
    attempt: int
    logger: str = ""
    stream: str | None = None
    exception: str | None = None


def read_step_logs(folder: Path, run_id: str, step: str | None = None) -> list[LogEntry]:
    """Every line logged by the run's steps (or by ``step``), in time order."""
    base = folder / run_id
    if not base.is_dir():
        return []
    entries: list[LogEntry] = []
    for path in sorted(base.glob("*.jsonl")):
        name, _, attempt = path.stem.rpartition(".")
        if step is not None and name != step:
            continue
        entries.extend(_read(path, name, int(attempt) if attempt.isdigit() else 1))
    return sorted(entries, key=lambda e: e.time)


def _read(path: Path, step: str, attempt: int) -> Iterator[LogEntry]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:  # a line cut by a crash mid-write
                continue
            yield LogEntry(
                time=str(data.get("time", "")),
                level=str(data.get("level", "")),
                message=str(data.get("message", "")),
                step=step,
                attempt=attempt,
                logger=str(data.get("logger", "")),
                stream=data.get("stream"),
                exception=data.get("exception"),
            )
