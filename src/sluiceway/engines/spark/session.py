"""A SparkSession from ``engines.spark``: local, a cluster master, or a Spark Connect server.

Starting a JVM costs about ten seconds, so a process starts at most one: every engine of a
local or cluster master shares the process's SparkContext and gets its own light session on
it (``newSession``: separate temporary views and SQL settings, same executors). A Spark
Connect URL (``sc://``) gets its own server-side session instead; it starts no JVM here.

The SQL settings make Spark answer like DuckDB where a setting can: UTC session time zone,
ANSI mode (overflow and bad casts raise instead of returning NULL), and Parquet written with
microsecond timestamps, as Delta readers expect.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from sluiceway.engines.errors import NotSupportedError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sluiceway.spec.settings import SparkSettings

log = logging.getLogger(__name__)

SQL_DEFAULTS: Mapping[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # Proleptic Gregorian dates as written, like DuckDB and delta-rs; no legacy rebasing.
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}
"""Session settings every engine applies (a project's ``conf`` may override them)."""

LAUNCH_DEFAULTS: Mapping[str, str] = {
    # Progress bars on stderr would interleave with the CLI's own output.
    "spark.ui.showConsoleProgress": "false",
}
"""Settings only a JVM start can apply."""

_LOCAL = re.compile(r"^local(\[(\*|\d+)\])?$")


def is_connect(master: str) -> bool:
    """True for a Spark Connect URL (``sc://host:port``)."""
    return master.startswith("sc://")


def is_local(master: str) -> bool:
    """True for ``local``/``local[n]``/``local[*]``: the JVM runs in this process's host."""
    return bool(_LOCAL.match(master))


def open_session(settings: SparkSettings) -> SparkSession:
    """A session for one engine, reusing the process's running JVM when there is one.

    Raises:
        NotSupportedError: Spark cannot start here (no Java; pyspark without Connect support
            for an ``sc://`` master; a local session asked for after Spark Connect was used).
    """
    from pyspark.errors import PySparkException

    conf = {**SQL_DEFAULTS, **settings.conf}
    _quiet_query_errors()
    try:
        if is_connect(settings.master):
            session = _connect_session(settings)
        else:
            session = _jvm_session(settings, conf).newSession()
    except (PySparkException, ImportError) as exc:
        raise NotSupportedError(
            f"cannot start Spark ({settings.master}): {first_line(exc)}",
            hint=_start_hint(settings.master),
        ) from exc
    apply_sql_conf(session, conf)
    return session


def _connect_session(settings: SparkSettings) -> SparkSession:
    """A Connect session of its own: the server keeps temporary views per session."""
    from pyspark.sql import SparkSession

    return SparkSession.builder.remote(settings.master).appName(settings.app_name).create()


_jvm: SparkSession | None = None
"""The process's session on its own JVM, kept here because pyspark hides it (it answers
with the Connect session) once a Spark Connect session exists in the process."""


def _jvm_session(settings: SparkSettings, conf: Mapping[str, str]) -> SparkSession:
    """The process's JVM-backed session, started on first use."""
    global _jvm
    from pyspark.sql import SparkSession

    if _jvm is not None and _jvm.sparkContext._jsc is not None:
        return _jvm
    if os.environ.get("SPARK_CONNECT_MODE_ENABLED"):
        raise NotSupportedError(
            f"cannot start Spark ({settings.master}): this process already uses Spark "
            "Connect, and pyspark cannot start a JVM session after that",
            hint="run steps on local or cluster Spark and on Spark Connect in separate runs",
        )
    launch = dict(LAUNCH_DEFAULTS)
    if is_local(settings.master):
        # The JVM otherwise binds to the host's first address, which may not route.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Spark makes its (unused) warehouse folder in the working directory, which is
        # usually the user's project.
        launch["spark.sql.warehouse.dir"] = str(Path(tempfile.gettempdir(), "sluiceway-spark"))
    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    for key, value in {**launch, **conf}.items():
        builder = builder.config(key, value)
    _jvm = builder.getOrCreate()
    return _jvm


def apply_sql_conf(session: SparkSession, conf: Mapping[str, str]) -> None:
    """Set every runtime-modifiable setting of ``conf`` on ``session``.

    A reused JVM keeps the static settings it was started with; those are reported once in
    the log rather than failing, since the session still runs correctly.
    """
    runtime = session.conf
    for key, value in conf.items():
        if runtime.isModifiable(key):
            runtime.set(key, value)
        elif runtime.get(key, None) != value:
            log.warning("Spark setting %s=%s is fixed at start-up and was not applied", key, value)


def _quiet_query_errors() -> None:
    """Silence pyspark's logging of every failed query as a JSON record on stderr.

    The engine raises each of those failures as a :class:`QueryError` that the caller
    reports once; the log record repeats it with the JVM's whole stack trace.
    """
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (Spark appends stack traces)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def _start_hint(master: str) -> str:
    if is_connect(master):
        return "check that the Spark Connect server is running and pyspark[connect] is installed"
    return "Spark needs Java 17 or 21 on PATH (or JAVA_HOME) and pyspark installed"
