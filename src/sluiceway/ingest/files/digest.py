"""A landed file's SHA-256, and a check that its compressed stream is whole.

Computed on a worker thread while DuckDB parses the file: the hash finds the same bytes
delivered under another name, the check fails a truncated archive that a reader would
otherwise load up to the break, silently dropping the rest.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluiceway.ingest.files.landing import LandingFile

if TYPE_CHECKING:
    from sluiceway.spec.sources import FilesSource


CHUNK = 4 * 1024 * 1024


def declared_compression(file: LandingFile, source: FilesSource) -> str:
    declared = getattr(source.format, "compression", "none")
    if declared != "auto":
        return str(declared)
    return {".gz": "gzip", ".zst": "zstd"}.get(Path(file.path).suffix, "none")


def sha256_checked(path: Path, compression: str) -> tuple[str, str | None]:
    """The file's SHA-256, and what is wrong with its compressed stream if anything.

    A truncated archive must fail the file: readers that stop at the break would load the
    rows before it and silently drop the rest. Checking means decompressing once more, on
    this thread while the parser works.
    """
    digest = hashlib.sha256()
    check = StreamCheck(compression)
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            check.feed(chunk)
    return digest.hexdigest(), check.problem()


class StreamCheck:
    """Decompresses a gzip or zstd stream, output discarded, to find breaks and corruption."""

    def __init__(self, compression: str) -> None:
        self.compression = compression
        self.error: str | None = None
        self.inflate: Any = self._new()

    def _new(self) -> Any:
        import zlib

        if self.compression == "gzip":
            return zlib.decompressobj(wbits=47)  # gzip header and trailer (CRC, size) checked
        if self.compression == "zstd":
            import zstandard

            return zstandard.ZstdDecompressor().decompressobj()
        return None

    def feed(self, data: bytes) -> None:
        if self.inflate is None or self.error is not None:
            return
        try:
            while data:
                if self.compression == "gzip":
                    self.inflate.decompress(data, CHUNK)
                    data = self.inflate.unconsumed_tail
                    if self.inflate.eof:  # another member may follow
                        data = self.inflate.unused_data + data
                        self.inflate = self._new() if data else self.inflate
                else:
                    self.inflate.decompress(data)
                    data = b""
        except Exception as exc:  # zlib.error, zstandard.ZstdError: the bytes are corrupt
            self.error = f"the {self.compression} stream is corrupt: {exc}"

    def problem(self) -> str | None:
        if self.error is not None or self.inflate is None:
            return self.error
        if not self.inflate.eof:
            return f"the {self.compression} stream is truncated: the file was cut short"
        return None
