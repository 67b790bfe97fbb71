"""The schema files must follow: declared in YAML, or inferred from the first file and frozen.

* declared — ``contract:`` inline or as a YAML file (``columns:`` and ``infer:``);
* frozen — no contract, and the table exists: its columns (lineage columns aside) are the
  contract, so a later file cannot silently change a column's type: values that do not fit
  are quarantined. New columns follow the table's schema policy (``evolve`` adds them,
  ``strict`` fails the file, which stays in the landing zone). A declared contract for a
  table that exists gets the table's other columns the same way (:func:`over_table`);
* inferred — no contract and no table yet: the first file's types, as DuckDB's sniffer
  reads them, become the contract (and, once committed, the table's schema).

Types are SQL types in DuckDB's spelling (``bigint``, ``decimal(12,2)``, ``timestamp``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    import pyarrow as pa

    from sluiceway.spec.sources import Contract as ContractSpec

Origin = Literal["declared", "frozen", "inferred"]


@dataclass(frozen=True)
class Column:
    """One column of the contract."""

    name: str
    type: str
    required: bool = False
    format: str | None = None


@dataclass(frozen=True)
class Contract:
    """The columns files must provide, and what happens to columns it does not list.

    Attributes:
        columns: expected columns, in table order.
        keep_new: columns not listed are loaded (with their inferred type) rather than
            ignored: ``infer: true`` for a declared contract, ``evolve`` for a frozen one.
        origin: where the contract came from (shown in errors).
        strict: a column it does not list fails the file: the table's schema policy is
            ``strict`` and the column would otherwise be loaded (no contract, or ``infer``).
    """

    columns: tuple[Column, ...]
    keep_new: bool
    origin: Origin
    strict: bool = False

    def get(self, name: str) -> Column | None:
        """The column called ``name`` (exact name first, then ignoring case)."""
        for column in self.columns:
            if column.name == name:
                return column
        lowered = name.lower()
        for column in self.columns:
            if column.name.lower() == lowered:
                return column
        return None

    @property
    def required(self) -> tuple[Column, ...]:
        """Columns a row must have a value in."""
        return tuple(c for c in self.columns if c.required)


def declared(spec: ContractSpec | str, project_root: Path) -> Contract:
    """The contract given in YAML: inline, or in a YAML file relative to the project."""
    from sluiceway.spec.sources import Contract as ContractSpec

    if isinstance(spec, str):
        import yaml

        path = project_root / spec
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(
                f"cannot read contract file {spec}: {exc.strerror}",
                hint="give the path relative to the project root",
            ) from exc
        spec = ContractSpec.model_validate(data)
    columns = tuple(Column(c.name, c.type, c.required, c.format) for c in spec.columns)
    return Contract(columns, keep_new=spec.infer, origin="declared")


def frozen(schema: pa.Schema, *, evolve: bool) -> Contract:
    """The contract of an existing table: its columns with their types, lineage aside."""
    from sluiceway.ingest.files.types import duckdb_type

    columns = tuple(
        Column(field.name, duckdb_type(field.type))
        for field in schema
        if not field.name.startswith("_sw_")
    )
    return Contract(columns, keep_new=evolve, origin="frozen", strict=not evolve)


def over_table(contract: Contract, schema: pa.Schema, *, strict: bool) -> Contract:
    """A declared contract for a table that exists, completed with the table's other columns.

    The columns the table has and the contract does not list are loaded as the table types
    them (NULL when a file lacks them), so a file never drops a column of the table. On a
    strict table (``strict``) a column neither lists fails the file when the contract would
    keep it (``infer: true``): it could not be added.
    """
    table = frozen(schema, evolve=not strict)
    others = tuple(c for c in table.columns if contract.get(c.name) is None)
    return Contract(
        contract.columns + others,
        keep_new=contract.keep_new and not strict,
        origin=contract.origin,
        strict=contract.keep_new and strict,
    )


def inferred(columns: list[tuple[str, str]]) -> Contract:
    """The contract read off the first file: every column, as typed by the sniffer."""
    return Contract(
        tuple(Column(name, kind) for name, kind in columns), keep_new=True, origin="inferred"
    )
