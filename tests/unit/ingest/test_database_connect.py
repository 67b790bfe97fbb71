"""The source URL: secrets resolved at connect time, never shown."""

from __future__ import annotations

import pytest

from sluiceway.ingest.database.connect import connect, resolve_url
from sluiceway.ingest.database.errors import DatabaseSourceError, driver_message, scrub
from sluiceway.spec.secrets import SecretNotSetError

SECRET = "p@ss/w:rd?#"


def test_a_password_reference_is_resolved_without_percent_encoding() -> None:
    source = resolve_url(
        "postgresql+psycopg://app:${env:PGPASS}@db.internal:5432/shop",
        {"PGPASS": SECRET},
    )
    assert source.url.password == SECRET
    assert source.url.username == "app"
    assert source.url.host == "db.internal"
    assert source.secrets == (SECRET,)


def test_what_is_shown_has_no_user_password_or_query_string() -> None:
    source = resolve_url(
        "postgresql+psycopg://app:${env:PGPASS}@db:5432/shop?sslpassword=${env:KEYPASS}",
        {"PGPASS": SECRET, "KEYPASS": "another-secret"},
    )
    assert source.display == "postgresql://db:5432/shop"
    assert SECRET not in repr(source)
    assert source.url.query["sslpassword"] == "another-secret"
    assert set(source.secrets) == {SECRET, "another-secret"}


def test_a_reference_in_the_port_is_resolved_too() -> None:
    source = resolve_url("postgresql://app@db:${env:PGPORT}/shop", {"PGPORT": "6543"})
    assert source.url.port == 6543


def test_an_unset_variable_is_named_and_nothing_else() -> None:
    with pytest.raises(SecretNotSetError, match=r"environment variable PGPASS is not set"):
        resolve_url("postgresql://app:${env:PGPASS}@db/shop", {})


def test_a_missing_driver_says_what_to_install() -> None:
    source = resolve_url("mysql+notadriver://app:${env:P}@db/shop", {"P": SECRET})
    with pytest.raises(DatabaseSourceError) as caught, connect(source, what="step orders"):
        pass
    assert str(caught.value).startswith("step orders: cannot open mysql://db/shop")
    assert SECRET not in str(caught.value)


def test_scrub_removes_every_secret_even_overlapping_ones() -> None:
    text = "failed for app:hunter2-long@db (hunter2)"
    assert scrub(text, ["hunter2", "hunter2-long"]) == "failed for app:***@db (***)"


def test_driver_messages_lose_the_echoed_sql() -> None:
    class Wrapped(Exception):
        orig = ValueError(f'relation "x" does not exist\nLINE 1: SELECT {SECRET}\n')

    error = Wrapped("outer\n[SQL: SELECT 1]\n[parameters: {}]")
    assert driver_message(error, [SECRET]) == 'relation "x" does not exist LINE 1: SELECT ***'
