"""Schema policy as pure decisions over Arrow schemas (the writes are tested elsewhere)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluiceway.lake.errors import SchemaPolicyError
from sluiceway.lake.lineage import lineage_fields
from sluiceway.lake.schema_policy import plan_write, type_change, type_name

TABLE = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("amount", pa.decimal128(12, 2)),
        pa.field("status", pa.string()),
        *lineage_fields(),
    ]
)


def schema(*fields: pa.Field) -> pa.Schema:
    return pa.schema([*fields, *lineage_fields()])


def test_a_new_table_takes_the_incoming_schema() -> None:
    plan = plan_write("silver.orders", None, TABLE, "strict")
    assert plan.created and plan.write_schema == TABLE and plan.schema_mode is None


def test_same_schema_in_another_order_and_representation_needs_no_change() -> None:
    incoming = schema(
        pa.field("status", pa.large_string()),
        pa.field("id", pa.int64()),
        pa.field("amount", pa.decimal128(12, 2)),
    )
    plan = plan_write("silver.orders", TABLE, incoming, "strict")
    assert plan.schema_mode is None
    assert plan.write_schema.names == TABLE.names  # the table's order
    assert plan.write_schema.field("status").type == pa.string()  # the table's representation


def test_evolve_adds_new_columns_as_nullable() -> None:
    incoming = schema(
        pa.field("id", pa.int64()),
        pa.field("amount", pa.decimal128(12, 2)),
        pa.field("status", pa.string()),
        pa.field("channel", pa.string(), nullable=False),
    )
    plan = plan_write("silver.orders", TABLE, incoming, "evolve")
    assert plan.schema_mode == "merge"
    assert plan.added == ("channel",)
    assert plan.write_schema.field("channel").nullable


def test_strict_refuses_an_added_column_naming_it_and_its_type() -> None:
    incoming = schema(
        pa.field("id", pa.int64()),
        pa.field("amount", pa.decimal128(12, 2)),
        pa.field("status", pa.string()),
        pa.field("channel", pa.int32()),
    )
    with pytest.raises(SchemaPolicyError) as err:
        plan_write("silver.orders", TABLE, incoming, "strict", keeps="schema version 3")
    assert str(err.value).startswith(
        "silver.orders: column channel (int32) would be added; the table keeps schema version 3"
    )
    assert "strict" in (err.value.hint or "")


def test_breaking_changes_are_refused_naming_every_column_and_both_types() -> None:
    incoming = schema(pa.field("id", pa.int64()), pa.field("amount", pa.float64()))
    with pytest.raises(SchemaPolicyError) as err:
        plan_write("silver.orders", TABLE, incoming, "evolve", keeps="schema version 3")
    assert err.value.message == (
        "silver.orders: column amount would change from decimal(12,2) to float64 (narrowing), "
        "and column status (string) would be dropped; the table keeps schema version 3"
    )


def test_values_that_fit_the_column_are_cast_to_its_type() -> None:
    table = schema(pa.field("n", pa.int64()), pa.field("amount", pa.decimal128(12, 2)))
    incoming = schema(pa.field("n", pa.int32()), pa.field("amount", pa.int32()))
    plan = plan_write("gold.t", table, incoming, "strict")
    assert plan.schema_mode is None and plan.widened == ()
    assert plan.write_schema.field("n").type == pa.int64()
    assert plan.write_schema.field("amount").type == pa.decimal128(12, 2)


def test_widening_is_refused_for_appends_and_allowed_when_the_table_is_replaced() -> None:
    table = schema(pa.field("n", pa.int32()), pa.field("x", pa.float32()))
    incoming = schema(pa.field("n", pa.int64()), pa.field("x", pa.float64()))
    with pytest.raises(
        SchemaPolicyError, match=r"column n would change from int32 to int64 \(widening\)"
    ):
        plan_write("gold.t", table, incoming, "evolve")
    plan = plan_write("gold.t", table, incoming, "evolve", replaces_table=True)
    assert plan.schema_mode == "overwrite" and plan.widened == ("n", "x")
    with pytest.raises(SchemaPolicyError):
        plan_write("gold.t", table, incoming, "strict", replaces_table=True)


def test_lineage_columns_are_exempt() -> None:
    table = schema(pa.field("id", pa.int64())).append(pa.field("_sw_created_at", pa.string()))
    incoming = pa.schema([pa.field("id", pa.int64()), pa.field("_sw_run_id", pa.int64())])
    plan = plan_write("gold.t", table, incoming, "strict")
    assert plan.write_schema.field("_sw_run_id").type == pa.string()  # the table's type


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (pa.int32(), pa.int64(), "widening"),
        (pa.int64(), pa.int32(), "narrowing"),
        (pa.uint32(), pa.int64(), "widening"),
        (pa.int32(), pa.uint64(), "narrowing"),
        (pa.float32(), pa.float64(), "widening"),
        (pa.int32(), pa.float64(), "widening"),
        (pa.int64(), pa.float64(), "narrowing"),
        (pa.float64(), pa.int64(), "narrowing"),
        (pa.int32(), pa.decimal128(12, 0), "widening"),
        (pa.decimal128(12, 2), pa.decimal128(10, 2), "narrowing"),
        (pa.decimal128(10, 2), pa.decimal128(14, 4), "widening"),
        (pa.decimal128(10, 2), pa.decimal128(10, 4), "narrowing"),
        (pa.string(), pa.int64(), "narrowing"),
        (pa.int64(), pa.string(), "incompatible"),
        (pa.timestamp("us", "UTC"), pa.date32(), "narrowing"),
        (pa.date32(), pa.timestamp("us"), "widening"),
        (pa.timestamp("us", "UTC"), pa.timestamp("ns", "Europe/Paris"), "same"),
        (pa.timestamp("us"), pa.timestamp("us", "UTC"), "incompatible"),
        (pa.string(), pa.dictionary(pa.int32(), pa.large_string()), "same"),
        (pa.list_(pa.int64()), pa.large_list(pa.int64()), "same"),
        (pa.bool_(), pa.int8(), "incompatible"),
    ],
)
def test_type_changes(before: pa.DataType, after: pa.DataType, change: str) -> None:
    assert type_change(before, after) == change


def test_type_names_read_like_sql() -> None:
    assert type_name(pa.decimal128(12, 2)) == "decimal(12,2)"
    assert type_name(pa.timestamp("us", "UTC")) == "timestamp(us, UTC)"
    assert type_name(pa.large_string()) == "string"
    assert type_name(pa.float64()) == "float64"
    assert type_name(pa.list_(pa.int32())) == "list<int32>"


_INTEGERS = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()]
_NUMERIC = st.sampled_from(
    [
        *_INTEGERS,
        pa.float16(),
        pa.float32(),
        pa.float64(),
        pa.decimal128(5, 2),
        pa.decimal128(20, 4),
    ]
)


@given(_NUMERIC, _NUMERIC)
def test_widening_is_never_both_ways(a: pa.DataType, b: pa.DataType) -> None:
    there, back = type_change(a, b), type_change(b, a)
    assert not (there == "widening" and back == "widening")
    assert (there == "same") == (back == "same")
