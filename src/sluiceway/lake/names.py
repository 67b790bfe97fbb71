"""Table names: ``layer.name``, the words users see, parsed once into a value object."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sluiceway.errors import UsageError

_PART = re.compile(r"^[a-z_][a-z0-9_]*$")
QUARANTINE_SUFFIX = "__quarantine"


@dataclass(frozen=True, order=True)
class TableName:
    """A table's catalog name, e.g. ``silver.orders``."""

    layer: str
    name: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        """Parse ``layer.name``; raise a usage error naming the bad text otherwise."""
        layer, dot, name = text.partition(".")
        if not dot or not _PART.match(layer) or not _PART.match(name):
            raise UsageError(
                f"'{text}' is not a table name", hint="write layer.name, e.g. silver.orders"
            )
        return cls(layer, name)

    @property
    def quarantine(self) -> TableName:
        """Where rows this table refused go: ``{layer}.{name}__quarantine``."""
        return TableName(self.layer, self.name + QUARANTINE_SUFFIX)

    def __str__(self) -> str:
        return f"{self.layer}.{self.name}"
