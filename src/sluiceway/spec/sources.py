"""Where an ingest step reads from: files in the landing zone, a database, or a stream.

Each kind is a model discriminated on ``type:``; so is a file format, whose options differ
(a CSV has a delimiter, Parquet has nothing to configure).
"""

from __future__ import annotations

import codecs
from datetime import timedelta
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sluiceway.spec.base import Identifier, SpecModel, shorthand
from sluiceway.spec.durations import Duration
from sluiceway.spec.secrets import SecretUrl

Compression = Literal["auto", "none", "gzip", "zstd"]

UNICODE_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16")
"""Unicode encodings a delimited file may be in (as Python names them)."""
SINGLE_BYTE_ENCODINGS = (
    "iso8859-1", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "cp1258", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6", "iso8859-7",
    "iso8859-8", "iso8859-9", "iso8859-10", "iso8859-11", "iso8859-13", "iso8859-14",
    "iso8859-15", "iso8859-16", "koi8-r", "koi8-u", "mac-roman", "cp437", "cp850", "ascii",
)  # fmt: skip
"""Single-byte encodings a delimited file may be in: each keeps ASCII (so line breaks and
delimiters) as it is, one byte per character, so a file converts to UTF-8 as it streams."""
_SUPPORTED = (
    "utf-8, utf-16, latin-1 (iso-8859-1), cp1250 to cp1258 (windows-1250 to windows-1258), "
    "iso-8859-2 to iso-8859-16, koi8-r, koi8-u, mac-roman, cp437, cp850 or ascii"
)


def text_codec(encoding: str) -> str | None:
    """Python's name for a supported encoding (``windows-1252`` → ``cp1252``), else None."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    return name if name in UNICODE_ENCODINGS + SINGLE_BYTE_ENCODINGS else None


def _check_encoding(value: str) -> str:
    if text_codec(value) is None:
        raise PydanticCustomError(
            "encoding",
            "files in encoding '{value}' cannot be read",
            {"value": value, "hint": f"declare one of {_SUPPORTED}, or convert the files to UTF-8"},
        )
    return value


def _check_utf8(value: str) -> str:
    if text_codec(value) not in ("utf-8", "utf-8-sig"):
        raise PydanticCustomError(
            "encoding",
            "encoding '{value}' cannot be read: JSON files are UTF-8",
            {"value": value, "hint": "remove encoding from the format, or convert the files"},
        )
    return value


class _TextFormat(SpecModel):
    encoding: str = Field("utf-8", description="Text encoding of the files.")
    compression: Compression = Field(
        "auto", description="`auto` decides by file extension (`.gz`, `.zst`)."
    )
    date_format: str | None = Field(None, description="strftime format of dates; default: ISO.")
    timestamp_format: str | None = Field(
        None, description="strftime format of timestamps; default: ISO 8601."
    )


class _Delimited(_TextFormat):
    header: bool = Field(True, description="The first line names the columns.")
    null_values: list[str] = Field(
        default_factory=lambda: [""], description="Strings read as null."
    )

    _encoding = field_validator("encoding")(_check_encoding)


class CsvFormat(_Delimited):
    """Comma (or other character) separated values."""

    type: Literal["csv"] = Field(description="CSV files.")
    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator.")
    quote: str = Field('"', min_length=1, max_length=1, description="Quote character.")
    escape: str = Field('"', min_length=1, max_length=1, description="Escape character.")


class TsvFormat(_Delimited):
    """Tab separated values."""

    type: Literal["tsv"] = Field(description="Tab separated files.")


class JsonFormat(_TextFormat):
    """One JSON array of objects per file."""

    type: Literal["json"] = Field(description="JSON files, an array of objects each.")

    _encoding = field_validator("encoding")(_check_utf8)


class NdjsonFormat(_TextFormat):
    """One JSON object per line."""

    type: Literal["ndjson"] = Field(description="Newline-delimited JSON files.")

    _encoding = field_validator("encoding")(_check_utf8)


class ParquetFormat(SpecModel):
    """Parquet files; the schema is in the file."""

    type: Literal["parquet"] = Field(description="Parquet files.")


_Formats = CsvFormat | TsvFormat | JsonFormat | NdjsonFormat | ParquetFormat
FileFormat = Annotated[
    _Formats,
    Field(discriminator="type"),
    BeforeValidator(
        shorthand,
        json_schema_input_type=Literal["csv", "tsv", "json", "ndjson", "parquet"]
        | Annotated[_Formats, Field(discriminator="type")],
    ),
]


class ContractColumn(SpecModel):
    """One column a file must provide."""

    name: Identifier = Field(description="Column name.")
    type: str = Field(description="SQL type, e.g. `bigint`, `varchar`, `decimal(12,2)`.")
    required: bool = Field(False, description="A row without a value is quarantined.")
    format: str | None = Field(None, description="strftime format for dates and timestamps.")


class Contract(SpecModel):
    """The schema files must follow; rows that break it go to quarantine."""

    columns: list[ContractColumn] = Field(min_length=1, description="Expected columns.")
    infer: bool = Field(False, description="Also keep columns not listed, with inferred types.")


class FilesSource(SpecModel):
    """Files dropped in the landing zone, each loaded exactly once."""

    type: Literal["files"] = Field(description="Files in the landing zone.")
    glob: str = Field(description="Glob relative to the landing zone, e.g. `orders/*.csv`.")
    format: FileFormat = Field(description="File format and its options.")
    contract: Contract | str | None = Field(
        None,
        description="Expected schema, inline or as a YAML file path relative to the project.",
    )
    on_processed: Literal["keep", "move", "delete"] = Field(
        "keep", description="What happens to a file once loaded."
    )
    duplicate_content: Literal["skip", "load"] = Field(
        "skip", description="A file whose content was already loaded is skipped, or loaded."
    )
    batch_files: int = Field(
        500,
        gt=0,
        description="Most files committed together; a run with more makes several commits.",
    )


class DatabaseSource(SpecModel):
    """A table or query in a SQL database, fully or by an increasing cursor column."""

    type: Literal["database"] = Field(description="A SQL database.")
    url: SecretUrl = Field(description="SQLAlchemy URL; a password is written `${env:NAME}`.")
    table: str | None = Field(None, description="Table to read (or give `query`).")
    query: str | None = Field(None, description="SELECT to run (or give `table`).")
    cursor: Identifier | None = Field(
        None, description="Increasing column that finds new rows; needed by `incremental`."
    )
    mode: Literal["full", "incremental"] = Field(
        "full", description="`full` reads everything, `incremental` rows past the cursor."
    )
    chunk_size: int = Field(50_000, gt=0, description="Rows fetched per batch.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table or query")
        if self.mode == "incremental" and self.cursor is None:
            raise ValueError("mode incremental needs a cursor column")
        return self


class StreamSource(SpecModel):
    """Messages from a broker, read in batches."""

    type: Literal["stream"] = Field(description="A message stream.")
    broker: Literal["nats", "redis", "kafka"] = Field(description="Kind of broker.")
    url: SecretUrl = Field(description="Broker URL, e.g. `nats://127.0.0.1:4222`.")
    subject: str = Field(description="NATS subject, Redis stream key or Kafka topic.")
    batch_size: int = Field(10_000, gt=0, description="Most messages per committed batch.")
    max_wait: Duration = Field(timedelta(seconds=5), description="Longest wait to fill a batch.")


Source = Annotated[FilesSource | DatabaseSource | StreamSource, Field(discriminator="type")]
"""Where an ingest step reads from."""
