"""Templates: one pipeline file plus rows of parameters → one pipeline per row.

Expansion is a pure function of the parsed file and its rows: every string value is rendered
with Jinja2 (sandboxed, undefined variables are errors), keys never are, and values under a
``query`` key are kept verbatim because inline SQL is rendered at run time with the run's
context. Each distinct template string is compiled once, so a 1,000-row template costs 1,000
cheap renders, not 1,000 compilations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from sluiceway.spec.problems import did_you_mean
from sluiceway.spec.yamlpos import Path

VERBATIM_KEYS = frozenset({"query"})
TEMPLATE_KEYS = ("matrix", "parameters")
_MARKERS = ("{{", "{%", "{#")
_UNDEFINED = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True, slots=True)
class RenderIssue:
    """A value that could not be rendered for a row: an undefined variable, a syntax error."""

    path: Path
    value: str
    message: str
    hint: str | None = None


@lru_cache(maxsize=16384)
def _compile(text: str) -> Template:
    return _ENV.from_string(text)


def has_markers(text: str) -> bool:
    """True when ``text`` contains Jinja syntax (``{{``, ``{%`` or ``{#``)."""
    return any(marker in text for marker in _MARKERS)


def marker_paths(data: Any, path: Path = ()) -> list[Path]:
    """Paths of the string values that use Jinja syntax, outside ``query`` values."""
    if isinstance(data, str):
        return [path] if has_markers(data) else []
    found: list[Path] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key not in VERBATIM_KEYS:
                found.extend(marker_paths(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(marker_paths(value, (*path, index)))
    return found


class _Renderer:
    def __init__(self, context: Mapping[str, Any]) -> None:
        self.context = context
        self.issues: list[RenderIssue] = []

    def render(self, value: Any, path: Path) -> Any:
        if isinstance(value, str):
            return self._string(value, path) if has_markers(value) else value
        if isinstance(value, dict):
            return {
                key: item if key in VERBATIM_KEYS else self.render(item, (*path, key))
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.render(item, (*path, index)) for index, item in enumerate(value)]
        return value

    def _string(self, text: str, path: Path) -> str:
        try:
            return _compile(text).render(self.context)
        except UndefinedError as exc:
            match = _UNDEFINED.search(str(exc))
            name = (match.group(1) or match.group(2)) if match else str(exc)
            names = [k for k in self.context if k != "params"]
            hint = did_you_mean(name, names) or f"variables: {', '.join(names) or 'none'}"
            self.issues.append(RenderIssue(path, text, f"undefined variable '{name}'", hint))
        except TemplateSyntaxError as exc:
            self.issues.append(RenderIssue(path, text, f"template syntax error: {exc.message}"))
        except TemplateError as exc:
            self.issues.append(RenderIssue(path, text, f"template error: {exc}"))
        except Exception as exc:  # a filter failing on a row's value, e.g. int('x')
            self.issues.append(RenderIssue(path, text, f"template error: {exc}"))
        return text


def row_context(defaults: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """Variables a row's strings see: ``params`` (defaults merged with the row) and each
    of its keys at the top level."""
    params = {**defaults, **row}
    return {**params, "params": params}


def expand(
    data: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[dict[str, Any], list[RenderIssue]]]:
    """Render ``data`` once per row: the pipelines of a template, in row order.

    The result's ``params`` is the file's ``params:`` merged with the row, and it has no
    ``matrix:``/``parameters:`` keys. Pure: the same input gives the same output.
    """
    body = {k: v for k, v in data.items() if k not in TEMPLATE_KEYS}
    raw_defaults = body.get("params")
    defaults = raw_defaults if isinstance(raw_defaults, dict) else {}
    expanded = []
    for row in rows:
        renderer = _Renderer(row_context(defaults, row))
        rendered = renderer.render(body, ())
        if isinstance(raw_defaults, dict) or raw_defaults is None:
            rendered["params"] = {**rendered.get("params", {}), **row}
        expanded.append((rendered, renderer.issues))
    return expanded
