"""Delivery: one worker thread per channel, reading that channel's outbox in order.

A channel that is down holds up only its own thread: the others keep delivering. Within a
channel messages go out in the order they were written (a resolution never arrives
before the alert it resolves), so a failing message is retried — after 1 s, 2 s, 4 s… up
to 5 minutes between attempts, with jitter — before the next is tried. A message still
undelivered ``retry_for`` after it was written (24 hours by default), or refused for good
by the receiver (a 4xx, a 5xx SMTP answer, a missing secret), is recorded as ``failed``
with its last error, logged, and the channel moves on.

Delivery is at least once: a process killed between a receiver's answer and the
``sent`` mark sends that message again after a restart, with the same
``X-Sluiceway-Delivery`` id so the receiver can tell.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sluiceway.errors import TerminalError
from sluiceway.observe.alerts.errors import DeliveryFailed
from sluiceway.observe.alerts.messages import Message

if TYPE_CHECKING:
    from sluiceway.meta.alert_outbox import Notification, OutboxRepo
    from sluiceway.observe.alerts.channels.base import Sender
    from sluiceway.spec.alerts import AlertSettings

log = logging.getLogger(__name__)

MAX_ERROR = 1000


class Clock(Protocol):
    """Where the alert engine reads the time (tests pass a clock they move by hand)."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


@dataclass(frozen=True)
class DeliveryPolicy:
    """How a channel's messages are tried.

    Attributes:
        timeout: seconds one attempt may take.
        retry_for: how long after it was written a message is still tried.
        first_backoff: seconds before the first retry; doubled each time.
        max_backoff: the longest wait between two attempts, in seconds.
        idle: seconds a worker with nothing due waits before looking at the outbox again
            (it is woken at once when this process writes a message).
    """

    timeout: float = 10.0
    retry_for: timedelta = timedelta(hours=24)
    first_backoff: float = 1.0
    max_backoff: float = 300.0
    idle: float = 2.0

    @classmethod
    def of(cls, settings: AlertSettings) -> DeliveryPolicy:
        """The policy ``alerts.delivery`` sets."""
        return cls(
            timeout=settings.delivery.timeout.total_seconds(),
            retry_for=settings.delivery.retry_for,
        )

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (±20% jitter)."""
        base = min(self.max_backoff, self.first_backoff * 2 ** max(0, attempts - 1))
        return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not secrecy


class ChannelWorker:
    """Delivers one channel's outbox, in order, on its own thread."""

    def __init__(
        self, outbox: OutboxRepo, sender: Sender, policy: DeliveryPolicy, clock: Clock
    ) -> None:
        self.sender = sender
        self._outbox = outbox
        self._policy = policy
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def channel(self) -> str:
        """The channel's name."""
        return self.sender.name

    def start(self) -> None:
        """Start delivering on a background thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"sw-alerts-{self.channel}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the attempt in progress (at most ``timeout`` s are waited for)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Look at the outbox now: a message was just written."""
        self._wake.set()

    def deliver_due(self) -> int:
        """Attempt the channel's messages that are due, in order; returns the attempts made.

        Stops at the first message that is to be retried later: later messages wait
        behind it.
        """
        attempts = 0
        while not self._stop.is_set():
            head = self._outbox.head(self.channel)
            if head is None or head.next_attempt_at > self._clock.now():
                break
            attempts += 1
            if not self._attempt(head):
                break
        return attempts

    def _attempt(self, notification: Notification) -> bool:
        """Try one message; True when it left the queue (sent or given up)."""
        tries = notification.attempts + 1
        try:
            self.sender.send(Message.from_json(notification.message), notification.id)
        except DeliveryFailed as exc:
            return self._failed(notification, tries, str(exc), retry=True)
        except TerminalError as exc:
            return self._failed(notification, tries, str(exc), retry=False)
        except Exception as exc:  # a sender bug must not stop the channel
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
            return self._failed(notification, tries, error, retry=True)
        self._outbox.mark_sent(notification.id, tries, self._clock.now())
        log.info("alert message %d sent to %s", notification.id, self.channel)
        return True

    def _failed(self, notification: Notification, tries: int, error: str, *, retry: bool) -> bool:
        error = error[:MAX_ERROR]
        now = self._clock.now()
        if retry and now - notification.created_at < self._policy.retry_for:
            delay = self._policy.backoff(tries)
            self._outbox.mark_retry(notification.id, tries, now + timedelta(seconds=delay), error)
            log.warning(
                "alert message %d to %s failed (attempt %d), retrying in %.1f s: %s",
                notification.id,
                self.channel,
                tries,
                delay,
                error,
            )
            return False
        self._outbox.mark_failed(notification.id, tries, error)
        log.error(
            "alert message %d to %s given up after %d attempt(s): %s",
            notification.id,
            self.channel,
            tries,
            error,
        )
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.deliver_due()
                wait = self._wait()
            except Exception as exc:  # the store is unreachable: try again later
                log.warning("alert channel %s cannot read its outbox: %s", self.channel, exc)
                wait = self._policy.idle
            self._wake.wait(wait)

    def _wait(self) -> float:
        head = self._outbox.head(self.channel)
        if head is None:
            return self._policy.idle
        seconds = (head.next_attempt_at - self._clock.now()).total_seconds()
        return min(self._policy.idle, max(0.0, seconds))
