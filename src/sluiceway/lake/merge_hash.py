"""The row hash of ``merge`` and ``scd2``: a stable 64-bit fingerprint of the tracked columns.

A merge updates a matched row only when this hash changed, so an unchanged row keeps its
``_sw_updated_at`` and run id, and SCD2 opens a new version only on a real change. The hash
is stored with the row and compared with the next batch's, possibly years and many library
versions later, so it is defined here, not borrowed from an engine:

* each value is first put in a canonical form, so the physical type the engine happened to
  produce does not matter (``int32`` 5 and ``int64`` 5, a ``string`` and a ``large_string``,
  ``-0.0`` and ``0.0``, a nanosecond and a microsecond timestamp of the same instant — Delta
  stores microseconds — all hash alike);
* fixed-width values are mixed with the splitmix64 finalizer; strings and binaries are
  mixed eight bytes at a time with their length, vectorized with pyarrow compute; values
  longer than :data:`LONG_VALUE` bytes go through BLAKE2b (rare, and cheap per byte);
* nulls hash to their own constant; the columns are folded in name order, so reordering a
  SELECT does not change the hash, but moving a value to another column does.

Everything runs in pyarrow's C++ kernels (no numpy, no per-row Python), chunks in parallel
threads; strings cost most (about 0.2 s per million short values on one core).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

LONG_VALUE = 64
"""Byte length above which a string is hashed by BLAKE2b rather than word by word."""

_MASK = (1 << 64) - 1
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_FOLD = 0x9E3779B97F4A7C15
_NULL = 0x5BD1E9955BD1E995
_SEED = 0x27D4EB2F165667C5
_CHUNK = 64 * 1024


def tracked_columns(
    names: Sequence[str],
    keys: Sequence[str],
    track: Sequence[str] | None,
    *,
    exclude: Sequence[str] = (),
) -> list[str]:
    """The columns whose change counts: ``track``, or every non-key, non-lineage column."""
    from sluiceway.lake.lineage import is_lineage

    if track:
        return list(track)
    skip = set(keys) | set(exclude)
    return [n for n in names if n not in skip and not is_lineage(n)]


def row_hash(table: pa.Table, columns: Sequence[str]) -> pa.ChunkedArray:
    """The int64 hash of ``columns`` for every row of ``table`` (independent of chunking)."""
    import pyarrow as pa

    ordered = sorted(columns)
    batches = table.select(ordered).to_batches(max_chunksize=_CHUNK)
    # pyarrow kernels release the GIL: hashing chunks in threads uses every core.
    with ThreadPoolExecutor(max_workers=max(1, min(len(batches), pa.cpu_count()))) as pool:
        chunks = list(pool.map(lambda batch: _hash_batch(batch, ordered), batches))
    if not chunks:
        return pa.chunked_array([], pa.int64())
    return pa.chunked_array(chunks, pa.int64())


def _hash_batch(batch: pa.RecordBatch, columns: Sequence[str]) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    h: pa.Array = pa.repeat(_u64(_SEED), batch.num_rows)
    for name in columns:
        h = _mix(pc.add(pc.multiply(h, _u64(_FOLD)), _hash_column(batch.column(name))))
    return h.view(pa.int64())


def _hash_column(array: pa.Array) -> pa.Array:
    """The uint64 hash of each value (nulls included) of one column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    canonical = _canonical(array)
    if canonical is None:  # a null-typed column
        return pa.array([_NULL] * len(array), pa.uint64())
    if pa.types.is_large_binary(canonical.type):
        hashed = _hash_bytes(canonical)
    else:
        hashed = _mix(pc.bit_wise_xor(canonical, _u64(_SEED)))
    return pc.fill_null(hashed, _u64(_NULL))


def _canonical(array: pa.Array) -> pa.Array | None:
    """``array`` as uint64 words or as large_binary, in a form independent of its type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = array.type
    if pa.types.is_dictionary(t):
        return _canonical(array.dictionary_decode())
    if pa.types.is_null(t):
        return None
    if pa.types.is_boolean(t) or pa.types.is_integer(t):
        if t == pa.uint64():
            return array
        return pc.cast(array, pa.int64()).view(pa.uint64())
    if pa.types.is_floating(t):
        floats = pc.add(pc.cast(array, pa.float64()), 0.0)  # -0.0 + 0.0 is 0.0
        floats = pc.if_else(pc.is_nan(floats), float("nan"), floats)  # one NaN bit pattern
        return floats.view(pa.uint64())
    if pa.types.is_timestamp(t):
        return pc.cast(array, pa.timestamp("us", tz=t.tz), safe=False).view(pa.uint64())
    if pa.types.is_date(t):
        return pc.cast(pc.cast(array, pa.date32()).view(pa.int32()), pa.int64()).view(pa.uint64())
    if pa.types.is_time(t):
        return pc.cast(array, pa.time64("us"), safe=False).view(pa.uint64())
    if pa.types.is_duration(t):
        return pc.cast(array, pa.duration("us"), safe=False).view(pa.uint64())
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pc.cast(pc.cast(array, pa.large_string()), pa.large_binary())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pc.cast(array, pa.large_binary())
    if pa.types.is_fixed_size_binary(t):
        return pc.cast(array, pa.large_binary())
    if pa.types.is_decimal(t):
        return pc.cast(pc.cast(array, pa.large_string()), pa.large_binary())
    # Nested values (lists, structs, maps) are rare in tracked columns: canonical JSON.
    texts = [
        None if v is None else json.dumps(v, sort_keys=True, default=str) for v in array.to_pylist()
    ]
    return pa.array(texts, pa.large_string()).cast(pa.large_binary())


def _hash_bytes(values: pa.Array) -> pa.Array:
    """Hash large_binary values: their length, then each 8-byte word, mixed at the end.

    Values are padded once with zero bytes so every slice is a whole word; the length in
    the hash tells ``b"a"`` from ``b"a\\0"``. At most eight words are folded per value, so
    the polynomial fold cannot reach the long, structured inputs that break such folds.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    lengths = pc.binary_length(values)
    longest = pc.max(lengths).as_py() or 0
    h = pc.bit_wise_xor(pc.cast(lengths, pa.uint64()), _u64(_SEED))
    if longest:
        # Only the words folded below are read: padding beyond them would be copied for nothing.
        pad = pa.scalar(b"\0" * (-(-min(longest, LONG_VALUE) // 8) * 8), pa.large_binary())
        empty = pa.scalar(b"", pa.large_binary())
        padded = pc.binary_join_element_wise(values, pad, empty)
        for start in range(0, min(longest, LONG_VALUE), 8):
            word = pc.cast(pc.binary_slice(padded, start, start + 8), pa.binary(8))
            h = pc.add(pc.multiply(h, _u64(_FOLD)), word.view(pa.uint64()))
    h = _mix(h)
    if longest > LONG_VALUE:
        long_mask = pc.fill_null(pc.greater(lengths, LONG_VALUE), False)
        digests = [
            int.from_bytes(hashlib.blake2b(v, digest_size=8).digest(), "little")
            for v in pc.filter(values, long_mask).to_pylist()
        ]
        h = pc.replace_with_mask(h, long_mask, pa.array(digests, pa.uint64()))
    return h


def _mix(x: pa.Array) -> pa.Array:
    """splitmix64's finalizer: every input bit affects every output bit."""
    import pyarrow.compute as pc

    x = pc.multiply(pc.bit_wise_xor(x, pc.shift_right(x, _u64(30))), _u64(_M1))
    x = pc.multiply(pc.bit_wise_xor(x, pc.shift_right(x, _u64(27))), _u64(_M2))
    return pc.bit_wise_xor(x, pc.shift_right(x, _u64(31)))


def _u64(value: int) -> pa.Scalar:
    import pyarrow as pa

    return pa.scalar(value & _MASK, pa.uint64())
