"""The S3 endpoint for tests: moto's server, in a child process, on loopback.

One server per test session (starting it costs ~0.5 s); each test gets its own bucket, so
tests never see each other's objects.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

ACCESS_KEY = "testing"
SECRET_KEY = "testing-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Endpoint:
    """A running moto S3 server: its URL, and a way to make buckets."""

    url: str

    def client(self) -> Any:
        """A boto3 client for this endpoint."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        """Create an empty bucket with a unique name and return the name."""
        name = f"sw-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def environ(self) -> dict[str, str]:
        """The standard AWS variables that point any client at this endpoint."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_ALLOW_HTTP": "true",
        }


def start_moto() -> tuple[subprocess.Popen[bytes], S3Endpoint]:
    """Start moto's S3 server in a child process on a free loopback port.

    The server must live outside the test process: several deltalake 1.6 calls
    (``is_deltatable``, ``history``…) hold the GIL while waiting for S3, so a server thread
    in the same process would never answer and the call would time out after 180 s.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, S3Endpoint(url=f"http://127.0.0.1:{port}")
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.05)


def stop_moto(server: subprocess.Popen[bytes]) -> None:
    """Stop a server started by :func:`start_moto`."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
