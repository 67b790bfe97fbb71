"""Secrets are referenced, never stored: ``${env:NAME}`` in YAML, resolved only at use time.

A spec holds the reference, so a ``repr``, a log line or an error message can never leak a
value. :func:`resolve` is the one place a reference becomes a value, and it is called by the
code that opens the connection, at the moment it opens it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from sluiceway.errors import TerminalError

_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:@/]*):(?P<pw>[^@]*)@")
SECRET_MESSAGE = "secrets are referenced, never stored: write ${env:NAME}"  # noqa: S105


class SecretNotSetError(TerminalError):
    """A ``${env:NAME}`` reference names a variable that is not set."""

    exit_code = 2


def references(text: str) -> list[str]:
    """The variable names referenced in ``text``, in order: ``"${env:A}-${env:B}"`` → A, B."""
    return _REF.findall(text)


def is_reference(text: str) -> bool:
    """True when ``text`` is exactly one ``${env:NAME}`` reference and nothing else."""
    return _REF.fullmatch(text.strip()) is not None


def resolve(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every ``${env:NAME}`` in ``text`` by the variable's value.

    Raises:
        SecretNotSetError: a referenced variable is not set; the message names the
            variable, never a value.
    """
    env = os.environ if environ is None else environ

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise SecretNotSetError(
                f"environment variable {name} is not set (referenced as ${{env:{name}}})",
                hint=f"export {name}=... before running, or set it in the deployment's secrets",
            )
        return env[name]

    return _REF.sub(substitute, text)


def url_password(url: str) -> str | None:
    """The password part of ``scheme://user:password@host/...``, or None."""
    match = _USERINFO.match(url)
    return match.group("pw") if match else None


def mask_url(url: str) -> str:
    """``postgresql://u:hunter2@h/db`` → ``postgresql://u:***@h/db``; references stay visible."""
    match = _USERINFO.match(url)
    if not match or not match.group("pw") or is_reference(match.group("pw")):
        return url
    return f"{match.group('scheme')}{match.group('user')}:***@{url[match.end() :]}"


def _check_reference(value: str) -> str:
    if not is_reference(value):
        raise PydanticCustomError("secret_literal", SECRET_MESSAGE)
    return value


def _check_url(value: str) -> str:
    password = url_password(value)
    if password and not is_reference(password):
        raise PydanticCustomError(
            "secret_literal",
            "a password in a URL is a secret: " + SECRET_MESSAGE + " in its place",
        )
    return value


SecretRef = Annotated[str, AfterValidator(_check_reference)]
"""A secret field: only a ``${env:NAME}`` reference is accepted, never a literal."""

SecretUrl = Annotated[str, AfterValidator(_check_url)]
"""A connection URL whose password, if any, is a ``${env:NAME}`` reference."""


def mask(value: Any) -> Any:
    """A value safe to show in a message: URL passwords masked, other values unchanged."""
    return mask_url(value) if isinstance(value, str) else value
