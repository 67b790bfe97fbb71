"""Write the corpus files that must be byte-exact: encodings, NUL bytes, CRLF, archives.

An editor (or git's text filters) would silently "fix" a BOM, latin-1 bytes or a NUL, so
these files are generated here, deterministically, and committed with this script; the
readable cases next to them are plain files. ``test_corpus.py`` checks that running this
script reproduces the committed bytes. Run it from anywhere::

    .venv/bin/python tests/data/ingest/make_corpus.py

Large inputs (the 10 MB single line) are not here: the test writes them into tmp_path.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

FOLDER = Path(__file__).parent / "malformed"


def _orders(rows: int, seed: int) -> bytes:
    """A well-formed orders CSV of ``rows`` rows whose bytes compress poorly (random)."""
    rng = random.Random(seed)
    lines = ["id,amount,day"]
    for i in range(1, rows + 1):
        lines.append(
            f"{i},{rng.randint(0, 99_999)}.{rng.randint(0, 99):02d},2024-01-{i % 28 + 1:02d}"
        )
    return ("\n".join(lines) + "\n").encode()


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # mtime 0: the same bytes on every run


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor(level=3).compress(data)


def _cp1252() -> bytes:
    """Windows-1252 text (euro sign, curly quotes, Œ) and one byte it leaves undefined."""
    good = "id,amount,note\n1,10.50,5 €\n2,7.25,“quoted” – dash\n".encode("cp1252")
    return good + b"3,1.00,bad \x81 byte\n" + "4,2.00,Œuvre\n".encode("cp1252")


def corpus() -> dict[str, bytes]:
    """File name → exact bytes."""
    big = _orders(2_000, seed=7)
    bad_row = b"id,amount,day\n1,10.50,2024-01-01\n2,oops,2024-01-02\n3,1.00,2024-01-03\n"
    return {
        "empty.csv": b"",
        "bom.csv": b"\xef\xbb\xbfid,amount,day\n1,10.50,2024-01-01\n2,x,2024-01-02\n",
        "latin1.csv": "id,amount,note\n1,10.50,cafe\n2,7.25,café crème\n3,1.00,ok\n".encode(
            "latin-1"
        ),
        "cp1252.csv": _cp1252(),
        "cp1252.csv.gz": _gzip(_cp1252()),
        "crlf.csv": b"id,amount,day\r\n1,10.50,2024-01-01\r\n2,x,2024-01-02\r\n"
        b"3,1.00,2024-01-03\r\n",
        "nul_in_number.csv": b"id,amount,day\n1,10.50,2024-01-01\n2,7\x00.25,2024-01-02\n",
        "nul_in_text.csv": b"id,amount,note\n1,10.50,fine\n2,7.25,br\x00ken\n3,1.00,ok\n",
        "nul_line.csv": b"id,amount,day\n1,10.50,2024-01-01\n\x00\x00\x00\x00\n3,1.00,2024-01-03\n",
        "nul_header.csv": b"id,amo\x00unt,day\n1,10.50,2024-01-01\n",
        "orders_bad_row.csv.gz": _gzip(bad_row),
        "orders_bad_row.csv.zst": _zstd(bad_row),
        "truncated.csv.gz": _gzip(big)[: len(_gzip(big)) // 2],
        "truncated.csv.zst": _zstd(big)[: len(_zstd(big)) // 2],
        "gzip_named_csv.csv": _gzip(big),
        "not_gzip.csv.gz": b"id,amount,day\n1,10.50,2024-01-01\n",
        "binary.csv": random.Random(11).randbytes(4096),
    }


def main() -> None:
    """Write every file of :func:`corpus` into ``malformed/``."""
    FOLDER.mkdir(exist_ok=True)
    for name, data in corpus().items():
        (FOLDER / name).write_bytes(data)


if __name__ == "__main__":
    main()
