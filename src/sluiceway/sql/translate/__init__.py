"""Dialect pairs whose translation needs more than sqlglot: refusals first, then rewrites.

A pair is data (source, target) → rules, so adding a dialect adds an entry here and nothing
else branches on a dialect's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from sluiceway.sql.translate.context import TranslationContext
from sluiceway.sql.translate.duckdb_spark_refuse import refuse_duckdb_spark
from sluiceway.sql.translate.duckdb_spark_rewrite import rewrite_duckdb_spark


@dataclass(frozen=True)
class Rules:
    """What to refuse (raises) and what to rewrite (returns the new tree) for one pair."""

    refuse: Callable[[exp.Query, TranslationContext], None]
    rewrite: Callable[[exp.Query, TranslationContext], exp.Query]
    needs_types: bool = True


RULES: dict[tuple[str, str], Rules] = {
    ("duckdb", "spark"): Rules(refuse=refuse_duckdb_spark, rewrite=rewrite_duckdb_spark),
}

__all__ = ["RULES", "Rules", "TranslationContext"]
