"""The root of every error Sluiceway raises on purpose.

Two marker classes tell the retry logic what to do: a :class:`TransientError` may succeed
when tried again (a lock, a network blip), a :class:`TerminalError` never will (bad input,
a failed check). Each subsystem keeps its own ``errors.py`` with subclasses of these.
"""

from __future__ import annotations


class SluicewayError(Exception):
    """Base class of every error Sluiceway raises on purpose.

    ``exit_code`` is what the CLI exits with when this error reaches it; ``hint`` says what
    the user can do about it.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} — {self.hint}"
        return self.message


class TransientError(SluicewayError):
    """May succeed if tried again: the retry policy retries only these."""


class TerminalError(SluicewayError):
    """Will fail again the same way: never retried."""


class UsageError(TerminalError):
    """The user asked for something that cannot be done as asked (bad flag, unknown name)."""

    exit_code = 2
