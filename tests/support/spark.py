"""Spark for tests: one local engine per test session, and a Spark Connect server on loopback.

A JVM costs ~10 s and ~1 GB to start, so the whole test session shares one local session
(every :class:`SparkEngine` of a process reuses the running JVM) and at most one Connect
server. Settings favour tiny inputs: one shuffle partition, no adaptive re-planning and no
code generation (compiling generated code costs more than running it on a few rows).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

TEST_CONF = {
    "spark.driver.memory": "1g",
    # A short-lived JVM on two cores: one GC thread, and no second-tier JIT compiling code
    # that runs for seconds only (start-up ~30% faster here).
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}
"""Settings of the test session's local Spark (``engines.spark.conf``)."""

CONNECT_START_TIMEOUT = 120.0


def spark_home() -> Path:
    """The installed pyspark package: it ships ``bin/`` and ``sbin/`` like a Spark download."""
    import pyspark

    return Path(pyspark.__file__).parent


def probe_spark() -> None:
    """Raise unless pyspark is importable and a Java runtime is on PATH or in JAVA_HOME."""
    import pyspark  # noqa: F401

    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin/java").exists()):
        raise FileNotFoundError("no java on PATH and no JAVA_HOME")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ConnectServer:
    """A Spark Connect server started by :func:`start_connect_server`."""

    port: int
    pid: int
    env: dict[str, str]
    log_dir: Path

    @property
    def url(self) -> str:
        """The ``sc://`` URL clients connect to."""
        return f"sc://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server and wait for its JVM to exit (killed after 30 s)."""
        subprocess.run(
            [str(spark_home() / "sbin/stop-connect-server.sh")],
            env=self.env,
            capture_output=True,
            check=False,
        )
        deadline = time.monotonic() + 30
        while _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)


def start_connect_server(work: Path, *, memory: str = "768m") -> ConnectServer:
    """Start a Spark Connect server (``local[2]``) on a free loopback port and wait for it.

    ``work`` holds the server's pid file and logs, so parallel sessions never collide.
    """
    port = free_port()
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_PID_DIR": str(work / "pid"),
        "SPARK_LOG_DIR": str(work / "log"),
        "SPARK_IDENT_STRING": f"sluiceway-test-{port}",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    command = [
        str(spark_home() / "sbin/start-connect-server.sh"),
        "--master",
        "local[2]",
        "--driver-memory",
        memory,
        "--conf",
        "spark.connect.grpc.binding.address=127.0.0.1",
        "--conf",
        f"spark.connect.grpc.binding.port={port}",
        "--conf",
        "spark.ui.enabled=false",
    ]
    for key, value in TEST_CONF.items():
        if key == "spark.driver.extraJavaOptions":
            command += ["--driver-java-options", value]
        elif key != "spark.driver.memory":
            command += ["--conf", f"{key}={value}"]
    subprocess.run(command, env=env, capture_output=True, check=True)
    pid_files = list((work / "pid").glob("*.pid"))
    if not pid_files:
        raise RuntimeError(f"the Connect server wrote no pid file: {_log_tail(work / 'log')}")
    server = ConnectServer(port, int(pid_files[0].read_text().strip()), env, work / "log")
    deadline = time.monotonic() + CONNECT_START_TIMEOUT
    while time.monotonic() < deadline:
        if not _alive(server.pid):
            raise RuntimeError(f"the Connect server exited: {_log_tail(server.log_dir)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise TimeoutError(f"no Connect server on port {port} after {CONNECT_START_TIMEOUT:.0f} s")


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaped yet counts as gone)."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        try:
            return "\tZ" not in status.read_text().split("State:", 1)[1].split("\n", 1)[0]
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _log_tail(log_dir: Path, lines: int = 20) -> str:
    logs = sorted(log_dir.glob("*.out"))
    if not logs:
        return "(no log)"
    return "\n".join(logs[-1].read_text(errors="replace").splitlines()[-lines:])
