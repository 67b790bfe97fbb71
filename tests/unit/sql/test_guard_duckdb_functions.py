"""The guard against DuckDB's own list of functions, so a new reader fails this test.

Table functions are allowed by name, so every one of DuckDB's except range, generate_series
and unnest must be refused. Scalars are allowed unless denied, so every function that reads
files, the environment or settings, or has side effects on the engine must be denied; the
queries below find them by name and by DuckDB's own has_side_effects flag.
"""

from __future__ import annotations

import pytest

from sluiceway.sql.errors import SqlError
from sluiceway.sql.guard import TABLE_FUNCTIONS, guard_query, is_denied

duckdb = pytest.importorskip("duckdb")

# Side effects that are harmless in a read-only query: randomness, ids, errors, introspection
# of the query itself.
HARMLESS_SIDE_EFFECTS = {
    "current_connection_id",
    "current_query",
    "current_query_id",
    "current_transaction_id",
    "error",
    "gen_random_uuid",
    "random",
    "stats",
    "uuid",
    "uuidv4",
    "uuidv7",
    "vector_type",
}


def functions(where: str) -> list[str]:
    rows = duckdb.sql(
        f"select distinct function_name from duckdb_functions() where {where} order by 1"
    ).fetchall()
    return [row[0] for row in rows]


def refusal(name: str) -> str:
    """The guard's message for ``FROM name(…)``, with arguments sqlglot can parse."""
    messages = []
    for args in ("('x', 1)", "('x')", "()"):
        try:
            guard_query(f"select * from {name}{args}", [])
        except SqlError as exc:
            messages.append(exc.message)
            if "is not allowed" in exc.message:
                return exc.message
        else:
            return "accepted"
    return " / ".join(messages)


def test_every_duckdb_table_function_but_the_allowed_ones_is_refused() -> None:
    names = functions("function_type in ('table', 'table_macro')")
    assert len(names) > 50  # the query really listed DuckDB's table functions
    outcomes = {name: refusal(name) for name in names if name not in TABLE_FUNCTIONS}
    assert {n: m for n, m in outcomes.items() if "is not allowed" not in m} == {}


def test_every_reader_and_settings_function_is_denied_as_a_scalar() -> None:
    names = functions(
        "function_name like 'read\\_%' escape '\\' or function_name like '%\\_scan' escape '\\'"
        " or function_name like 'parquet\\_%' escape '\\'"
        " or function_name like 'duckdb\\_%' escape '\\'"
        " or function_name like 'pragma\\_%' escape '\\'"
        " or function_name in ('glob', 'sniff_csv', 'current_setting', 'getvariable',"
        " 'query', 'query_table', 'which_secret')"
    )
    assert "read_csv" in names
    assert "current_setting" in names
    assert [name for name in names if not is_denied(name)] == []


def test_every_function_with_side_effects_is_denied_or_known_harmless() -> None:
    names = functions("has_side_effects")
    assert "setseed" in names
    assert [n for n in names if not is_denied(n) and n not in HARMLESS_SIDE_EFFECTS] == []
