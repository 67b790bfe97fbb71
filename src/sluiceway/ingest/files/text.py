"""A landed text file's bytes: compression, encoding, and physical line numbers.

DuckDB parses the files; these helpers are what Python needs around it — the header before
the scan, a truncated zstd frame DuckDB would read as empty, a UTF-8 copy of a file in an
encoding DuckDB's core reader does not decode, and the line numbers users see (DuckDB
counts records, a quoted value may span lines).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluiceway.errors import UsageError
from sluiceway.ingest.files.result import FileUnreadable, Quarantined
from sluiceway.spec.sources import text_codec

if TYPE_CHECKING:
    from sluiceway.spec.sources import CsvFormat, TsvFormat


CHUNK = 8 * 1024 * 1024


NATIVE = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "iso8859-1": "latin-1", "utf-16": "utf-16"}
"""Encodings DuckDB's core reader decodes (Python's name → DuckDB's); a file in another
supported encoding is read through a UTF-8 copy (:func:`readable`), since the extension that
decodes more is not shipped offline."""


UNDEFINED = "sluiceway.undefined"
"""Decoding error handler: a byte the encoding leaves undefined becomes ``\\xff`` in the
UTF-8 copy — never valid UTF-8, so DuckDB quarantines its row as not valid in the encoding."""


def _undefined(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "\udcff" * (error.end - error.start), error.end  # surrogateescape makes it 0xff


codecs.register_error(UNDEFINED, _undefined)


MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
"""First bytes of the archives DuckDB reads: a file named otherwise is refused, clearly."""


LOCATE_LIMIT = 512 * 1024 * 1024
"""Largest file re-read in Python to find the lines of bad rows."""


AGAIN = "the file was cut short in transfer or while being written; deliver it again"
DAMAGED = "the file was damaged in transfer or by the program that wrote it: deliver it again"


def check_named(path: Path, compression: str, name: str) -> None:
    """Refuse a gzip or zstd file read as plain text: its name (or format) says it is not."""
    if compression != "none":
        return
    with path.open("rb") as raw:
        head = raw.read(4)
    kind = next((k for magic, k in MAGIC.items() if head.startswith(magic)), None)
    if kind is not None:
        raise FileUnreadable(
            f"{name} is {kind}-compressed but its name does not say so",
            hint=f"rename it to end in .{'gz' if kind == 'gzip' else 'zst'}, "
            f"or set format.compression: {kind}",
        )


def not_compressed(name: str) -> FileUnreadable:
    return FileUnreadable(
        f"{name} is not gzip-compressed although its name ends in .gz",
        hint="rename it without .gz, or set format.compression: none",
    )


def compression_of(path: Path, fmt: CsvFormat | TsvFormat) -> str:
    if fmt.compression != "auto":
        return fmt.compression
    return {".gz": "gzip", ".zst": "zstd"}.get(path.suffix, "none")


@contextmanager
def open_binary(path: Path, fmt: CsvFormat | TsvFormat) -> Iterator[Any]:
    """The file's bytes, decompressed."""
    compression = compression_of(path, fmt)
    if compression == "gzip":
        binary: Any = gzip.open(path, "rb")  # noqa: SIM115 - closed by the with below
    elif compression == "zstd":
        import zstandard

        binary = zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
    else:
        binary = path.open("rb")
    with binary:
        yield binary


def codec(fmt: CsvFormat | TsvFormat) -> str:
    """Python's name for the format's encoding."""
    found = text_codec(fmt.encoding)
    if found is None:  # the spec's validation refuses it first
        raise UsageError(
            f"files in encoding {fmt.encoding!r} cannot be read",
            hint="declare the files' encoding, e.g. utf-8, latin-1 or cp1252",
        )
    return found


def duckdb_encoding(fmt: CsvFormat | TsvFormat) -> str | None:
    """The encoding as DuckDB's reader names it; None when it cannot decode it itself."""
    return NATIVE.get(codec(fmt))


@contextmanager
def readable(
    path: Path, fmt: CsvFormat | TsvFormat, name: str
) -> Iterator[tuple[Path, CsvFormat | TsvFormat]]:
    """The file and format DuckDB's reader is given: the file itself, or a UTF-8 copy.

    A file in an encoding DuckDB does not decode (a single-byte one: ``cp1252``,
    ``iso-8859-15``…) is decompressed and converted to a temporary plain UTF-8 file, chunk by
    chunk, so memory stays within :data:`CHUNK` whatever the file's size (the disk holds the
    copy while the file is parsed). One byte is one character in those encodings, so the
    copy has the file's lines; the copy is read as ``utf-8`` without compression.
    """
    if duckdb_encoding(fmt) is not None:
        yield path, fmt
        return
    decoder = codecs.getincrementaldecoder(codec(fmt))(UNDEFINED)
    with tempfile.TemporaryDirectory(prefix="sw-utf8-") as folder:
        copy = Path(folder) / "utf8.txt"
        try:
            with open_binary(path, fmt) as binary, copy.open("wb") as out:
                while chunk := binary.read(CHUNK):
                    out.write(decoder.decode(chunk).encode("utf-8", "surrogateescape"))
                out.write(decoder.decode(b"", final=True).encode("utf-8", "surrogateescape"))
        except EOFError as exc:
            kind = compression_of(path, fmt)
            raise FileUnreadable(f"{name}: the {kind} data is truncated", hint=AGAIN) from exc
        except OSError as exc:  # a corrupt archive (CRC, bad block)
            raise FileUnreadable(f"{name}: cannot decompress it: {exc}", hint=DAMAGED) from exc
        yield copy, fmt.model_copy(update={"encoding": "utf-8", "compression": "none"})


@contextmanager
def open_text(path: Path, fmt: CsvFormat | TsvFormat) -> Iterator[io.TextIOBase]:
    encoding = codec(fmt)
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # a byte-order mark is not part of the first column's name
    with (
        open_binary(path, fmt) as binary,
        io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="") as text,
    ):
        yield text


def check_zstd(path: Path, name: str) -> None:
    """Refuse a zstd file whose last frame is cut: DuckDB reads it as empty, losing it all."""
    import zstandard

    decompressor = zstandard.ZstdDecompressor().decompressobj()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            while chunk:
                if decompressor.eof:  # a new frame follows the one just finished
                    decompressor = zstandard.ZstdDecompressor().decompressobj()
                try:
                    decompressor.decompress(chunk)
                except zstandard.ZstdError as exc:
                    raise FileUnreadable(
                        f"{name}: the zstd data is corrupt: {exc}", hint=DAMAGED
                    ) from exc
                chunk = decompressor.unused_data if decompressor.eof else b""
    if not decompressor.eof:
        raise FileUnreadable(f"{name}: the zstd data is truncated", hint=AGAIN)


def csv_reader(stream: Any, fmt: CsvFormat | TsvFormat) -> Any:
    """Python's csv reader set up as DuckDB's (quote, and escape when it is not the quote)."""
    if fmt.type == "tsv":
        return csv.reader(stream, delimiter="\t", quotechar='"')
    if fmt.escape != fmt.quote:
        return csv.reader(
            stream, delimiter=fmt.delimiter, quotechar=fmt.quote, escapechar=fmt.escape,
            doublequote=False,
        )  # fmt: skip
    return csv.reader(stream, delimiter=fmt.delimiter, quotechar=fmt.quote)


def physical_lines(
    path: Path, fmt: CsvFormat | TsvFormat, offsets: list[int]
) -> dict[int, int] | None:
    """Line number of each of DuckDB's (1-based) record byte offsets, by counting breaks.

    DuckDB's offsets are in the decompressed text as it parses it, i.e. after converting a
    non-UTF-8 file to UTF-8, so the same conversion is applied here. None for files too
    large to read again, or unreadable past the point DuckDB reached.
    """
    if path.stat().st_size > LOCATE_LIMIT:
        return None
    encoding = codec(fmt)
    decoder = None
    if encoding not in ("utf-8", "utf-8-sig"):
        decoder = codecs.getincrementaldecoder(encoding)("replace")
    wanted = sorted(set(offsets))
    found: dict[int, int] = {}
    start = breaks = 0
    try:
        with open_binary(path, fmt) as binary:
            while wanted and (chunk := binary.read(CHUNK)):
                if decoder is not None:
                    chunk = decoder.decode(chunk).encode("utf-8")
                while wanted and wanted[0] <= start + len(chunk):
                    offset = wanted.pop(0)
                    found[offset] = 1 + breaks + chunk.count(b"\n", 0, max(offset - start, 0))
                breaks += chunk.count(b"\n")
                start += len(chunk)
    except (OSError, EOFError):
        return None
    return found


def records_to_lines(stream: Any, found: list[Quarantined]) -> list[Quarantined]:
    """Record numbers as line numbers (blank lines count), and the text of non-JSON lines.

    ``stream`` is the file's decompressed bytes, read line by line.

    DuckDB skips blank lines when it numbers records, so the file is read once more (only
    when it has bad rows) to map them. A record whose line does not hold the text DuckDB
    read means the two disagree on this file: its line is then left unknown, not guessed.
    """
    wanted = {q.line: q for q in found}
    located: dict[int | None, Quarantined] = {}
    record = 0
    for number, line in enumerate(stream, start=1):
        text = line.strip()
        if not text:
            continue
        record += 1
        q = wanted.get(record)
        if q is None:
            continue
        decoded = text.decode("utf-8", errors="replace")
        if q.raw is None:
            located[record] = Quarantined(number, q.column, q.reason, Quarantined.cut(decoded))
        elif decoded.startswith(q.raw[:1000]) or q.raw.startswith(decoded[:1000]):
            located[record] = Quarantined(number, q.column, q.reason, q.raw)
        if len(located) == len(wanted):
            break
    return [
        located.get(q.line) or Quarantined(None, q.column, f"{q.reason} (line not located)", q.raw)
        for q in found
    ]
