"""Loading a project's Python function and reporting its failures in the user's terms.

A ``python`` step names ``file.py:function`` in the project's ``python/`` folder. The file
is loaded fresh for each run (an edit takes effect without restarting anything) with the
folder importable, so the file may import its own helper modules. When the function
raises, the error shows the user's frames — their file, line and code — not the platform's.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sluiceway.errors import TerminalError, TransientError, UsageError

PYTHON_FOLDER = "python"


class UserCodeError(TerminalError):
    """The step's own function raised; the message carries the user's traceback."""


class TransientUserCodeError(UserCodeError, TransientError):
    """The step's function lost a connection or timed out: trying again may succeed."""


def load_function(root: Path, module_file: str, name: str) -> Callable[..., Any]:
    """The function ``name`` of ``python/<module_file>`` in the project at ``root``.

    Raises:
        UsageError: no such file or function, or the file fails to import.
    """
    folder = root / PYTHON_FOLDER
    path = folder / module_file
    if not path.is_file():
        raise UsageError(
            f"{PYTHON_FOLDER}/{module_file} not found",
            hint=f"python steps name a file in the project's {PYTHON_FOLDER}/ folder",
        )
    module_name = "sluiceway_project_" + "_".join(Path(module_file).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with _importable(folder):
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise UserCodeError(
                f"{PYTHON_FOLDER}/{module_file} failed to import:\n{user_traceback(exc, folder)}"
            ) from None
    function = getattr(module, name, None)
    if not callable(function):
        found = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise UsageError(
            f"{PYTHON_FOLDER}/{module_file} has no function {name!r}",
            hint="functions there: " + (", ".join(found) or "none"),
        )
    return function


def call_user(function: Callable[..., Any], root: Path, **arguments: Any) -> Any:
    """Call the user's function; a raise becomes :class:`UserCodeError` with their frames.

    A returned iterator (a generator) runs the user's code as it is read: it comes back
    wrapped in :class:`UserIterator`, whose raises are reported the same way. An Arrow
    stream (a ``RecordBatchReader``) is an iterator too, but is returned as it is.
    """
    folder = root / PYTHON_FOLDER
    with _importable(folder):
        try:
            result = function(**arguments)
        except Exception as exc:
            raise _raised(function.__name__, exc, folder) from None
    if isinstance(result, Iterator) and not hasattr(result, "__arrow_c_stream__"):
        return UserIterator(result, function.__name__, folder)  # not an Arrow reader
    return result


class UserIterator:
    """A user's iterator, read so that a raise inside it reads like a raising function's.

    The first item is read by the platform directly, but later ones are pulled through
    Arrow's C stream by the writer (delta-rs or DuckDB), which reports a Python error as
    its own ("C Data interface error … late boom"). So the user's error is kept here, and
    :meth:`reraise` turns the writer's failure back into it.
    """

    def __init__(self, items: Iterator[Any], function: str, folder: Path) -> None:
        self._items = items
        self._function = function
        self._folder = folder
        self.error: UserCodeError | None = None

    def __iter__(self) -> Iterator[Any]:
        while True:
            with _importable(self._folder):
                try:
                    item = next(self._items)
                except StopIteration:
                    return
                except Exception as exc:
                    self.error = _raised(self._function, exc, self._folder)
                    raise self.error from None
            yield item

    @contextmanager
    def reraise(self) -> Iterator[None]:
        """Around what reads the iterator: its failure caused by the user's raise is that raise."""
        try:
            yield
        except UserCodeError:
            raise
        except Exception:
            if self.error is not None:
                raise self.error from None
            raise


def _raised(function: str, exc: BaseException, folder: Path) -> UserCodeError:
    message = f"{function} raised {type(exc).__name__}: {exc}\n" + user_traceback(exc, folder)
    if isinstance(exc, ConnectionError | TimeoutError | TransientError):
        return TransientUserCodeError(message)
    return UserCodeError(message)


def user_traceback(exc: BaseException, folder: Path) -> str:
    """The traceback of ``exc`` reduced to frames in ``folder``, paths relative to the project.

    If no frame is the user's (the error came from a library they called with bad input),
    the last frames are kept so the cause is still visible.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    resolved = folder.resolve()
    mine = [f for f in frames if _inside(f.filename, resolved)]
    shown = mine or frames[-2:]
    lines = ["Traceback (the step's code):"]
    for frame in shown:
        name = frame.filename
        if _inside(name, resolved):
            name = f"{PYTHON_FOLDER}/{Path(name).resolve().relative_to(resolved).as_posix()}"
        lines.append(f'  File "{name}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines.extend(line.rstrip() for line in traceback.format_exception_only(exc))
    return "\n".join(lines)


def _inside(filename: str, folder: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(folder)
    except ValueError:
        return False
    return True


@contextmanager
def _importable(folder: Path) -> Iterator[None]:
    """``folder`` on ``sys.path`` for the duration, so user modules import each other."""
    entry = str(folder)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)
