"""Pydantic's validation errors turned into problems at a YAML line and column.

Pydantic's ``loc`` mixes keys of the data with names of its own machinery: discriminator tags
(``('steps', 0, 'sql', 'materialization', 'merge', 'keys')``) and validator wrappers. Walking
the data along the loc and dropping what is not a key or an index of the data recovers the
path the user wrote; walking the models along the same loc finds the allowed field names and
values to suggest.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sluiceway.spec.base import PATTERN_MEANINGS
from sluiceway.spec.problems import Problem, did_you_mean, format_path, quoted
from sluiceway.spec.secrets import mask
from sluiceway.spec.yamlpos import Path, Positions

_QUOTED = re.compile(r"'([^']*)'")


def data_path(data: Any, loc: tuple[str | int, ...]) -> Path:
    """The part of ``loc`` that names keys and indices of ``data``.

    A segment equal to the mapping's ``type:`` value is a discriminator tag and is skipped
    once per mapping, so a step ``{type: sql, sql: ...}`` still reaches its ``sql`` key.
    """
    path: list[str | int] = []
    current, tag_skipped = data, False
    for seg in loc:
        if isinstance(current, dict):
            if not tag_skipped and seg == current.get("type") and isinstance(seg, str):
                tag_skipped = True
                continue
            if isinstance(seg, str) and seg in current:
                path.append(seg)
                current, tag_skipped = current[seg], False
        elif isinstance(current, list) and isinstance(seg, int) and 0 <= seg < len(current):
            path.append(seg)
            current, tag_skipped = current[seg], False
    return tuple(path)


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tag(tp: Any) -> str | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel) and "type" in tp.model_fields:
        args = get_args(tp.model_fields["type"].annotation)
        return str(args[0]) if args else None
    return None


def _members(tp: Any) -> list[Any]:
    return [_unwrap(a) for a in get_args(tp) if a is not type(None)]


def model_at(tp: Any, loc: tuple[str | int, ...]) -> Any:
    """The type found by following ``loc`` from ``tp`` through models, unions and containers."""
    tp = _unwrap(tp)
    if not loc:
        return tp
    seg, rest = loc[0], loc[1:]
    if _is_union(tp):
        members = _members(tp)
        for member in members:
            if _tag(member) == seg:
                return model_at(member, rest)
        for member in members:
            found = model_at(member, loc)
            if found is not None:
                return found
        return None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if isinstance(seg, str) and seg in tp.model_fields:
            return model_at(tp.model_fields[seg].annotation, rest)
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin is list and isinstance(seg, int):
        return model_at(args[0], rest)
    if origin is dict and isinstance(seg, str):
        return model_at(args[1], rest)
    if isinstance(seg, str) and seg.startswith("function-"):
        return model_at(tp, rest)
    return None


def _tags(tp: Any) -> list[str]:
    tp = _unwrap(tp)
    return [t for t in map(_tag, _members(tp) if _is_union(tp) else [tp]) if t]


def _lookup(data: Any, path: Path) -> Any:
    for seg in path:
        data = data[seg]
    return data


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _message(error: ErrorDetails, value: Any) -> tuple[str, str | None]:
    kind, ctx = error["type"], dict(error.get("ctx") or {})
    hint = ctx.get("hint")
    if kind == "literal_error":
        allowed = _QUOTED.findall(str(ctx.get("expected", "")))
        return f"unknown value {value!r}; expected {quoted(allowed)}", did_you_mean(value, allowed)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value), got {_kind(value)}", hint
    if kind == "list_type":
        return f"expected a list, got {_kind(value)}", hint
    if kind == "string_type":
        return f"expected text, got {_kind(value)}", hint
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_kind(value)}", hint
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {_kind(value)}", hint
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {_kind(value)}", hint
    if kind == "string_pattern_mismatch":
        meaning = PATTERN_MEANINGS.get(str(ctx.get("pattern")), f"matching {ctx.get('pattern')}")
        return f"{value!r} is not {meaning}", hint
    if kind == "too_short":
        count = ctx.get("min_length", 1)
        return f"needs at least {count} item{'s' if count != 1 else ''}", hint
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])), hint
    message = error["msg"].replace("Input should be", "expected")
    return message[:1].lower() + message[1:], hint


def problems_from_error(
    error: ValidationError, data: Any, positions: Positions, file: str, model: Any
) -> list[Problem]:
    """One problem per pydantic error, placed at the YAML position of the field.

    Args:
        error: what pydantic raised while validating ``data`` as ``model``.
        data: the plain data that was validated (as read from YAML, or rendered from it).
        positions: where each path of ``data`` is in ``file``.
        file: the file's path relative to the project root.
        model: the type ``data`` was validated as (for allowed field names and values).
    """
    found: list[Problem] = []
    for details in error.errors(include_url=False):
        loc = tuple(details["loc"])
        path = data_path(data, loc)
        value = _lookup(data, path)
        kind = details["type"]
        mark = positions.value(path)
        field = format_path(path)
        if kind == "missing":
            name = str(loc[-1])
            field = format_path((*path, name))
            message, hint, value = f"missing required field '{name}'", None, None
        elif kind == "extra_forbidden":
            owner = model_at(model, loc[:-1])
            allowed = list(owner.model_fields) if _is_model(owner) else []
            mark, value = positions.key(path), path[-1] if path else None
            message = f"unknown field '{value}'"
            hint = did_you_mean(value, allowed)
            if hint is None and allowed:
                hint = f"allowed: {', '.join(allowed)}"
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            allowed = _QUOTED.findall(str((details.get("ctx") or {}).get("expected_tags", "")))
            allowed = allowed or _tags(model_at(model, loc))
            field = format_path((*path, "type"))
            if isinstance(value, dict) and "type" in value:
                mark, value = positions.value((*path, "type")), value["type"]
                message = f"unknown value {value!r}; expected {quoted(allowed)}"
                hint = did_you_mean(value, allowed)
            elif isinstance(value, str):  # the shorthand: the name alone stands for the type
                field, mark = format_path(path), positions.value(path)
                message = f"unknown value {value!r}; expected {quoted(allowed)}"
                hint = did_you_mean(value, allowed)
            else:
                message, hint = f"missing 'type'; expected {quoted(allowed)}", None
                value = None
        else:
            message, hint = _message(details, value)
        if kind == "secret_literal":
            value = "***"
        elif isinstance(value, dict | list):
            value = None
        found.append(Problem(file, mark.line, mark.column, field, mask(value), message, hint))
    return found
