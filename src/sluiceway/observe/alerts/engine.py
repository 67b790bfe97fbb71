"""The alert engine: a durable consumer of the event log that writes messages to an outbox.

One thread reads the log as the consumer ``alerts`` (so nothing a run does waits for an
alert, and a restart resumes where the cursor stopped), turns each event into alert state
changes (:mod:`.grouping`), and writes each group's message to the outbox when it is due —
all in the metadata store, so de-duplication and grouping survive restarts. One worker
thread per channel delivers the outbox (:mod:`.delivery`), so a channel that is down
delays no other.

The daemon's contract is the watchers' one::

    engine = alert_engine(project, store)      # None when the project has no rules
    if engine is not None:
        engine.start()
    ...
    engine.stop()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sluiceway.events.consumer import Consumer
from sluiceway.events.log import EventLog
from sluiceway.events.notify import Subscription
from sluiceway.meta.alert_outbox import NewNotification, OutboxRepo
from sluiceway.meta.alerts import AlertRepo
from sluiceway.observe.alerts.channels import sender_for
from sluiceway.observe.alerts.context import alert_context, summary
from sluiceway.observe.alerts.delivery import ChannelWorker, Clock, DeliveryPolicy
from sluiceway.observe.alerts.grouping import Timing, due_at, fire, resolve
from sluiceway.observe.alerts.messages import alert_message, summary_message, test_message
from sluiceway.observe.alerts.rules import ProjectTables, Signal, signals, watched_types

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.meta.store import MetaStore
    from sluiceway.observe.alerts.channels.base import Sender
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

CONSUMER = "alerts"
RATE_WINDOW = timedelta(hours=1)
WAIT_MAX = 0.5  # seconds between looks at the clock and the stop flag while idle
FLUSH_EVERY = 30.0  # seconds: look for due groups and held messages even when nothing happened
RETRY_DELAY = 2.0  # seconds after the store failed before trying again


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current time."""
        return datetime.now(UTC)


class AlertEngine:
    """Turns events into alerts and alerts into messages, and delivers them.

    Args:
        project: the project (rules, channels, and the tables each pipeline writes).
        store: its metadata store.
        clock: the engine's time; tests pass one they move by hand.
        policy: delivery timeouts and retries (default: ``alerts.delivery``).
        senders: channel senders by name (default: built from ``alerts.channels``).
        environ: where ``${env:NAME}`` references are looked up (default: the process's).
    """

    name = "alerts"

    def __init__(
        self,
        project: Project,
        store: MetaStore,
        *,
        clock: Clock | None = None,
        policy: DeliveryPolicy | None = None,
        senders: Mapping[str, Sender] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        settings = project.settings.alerts
        self.project = project
        self.store = store
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.policy = policy or DeliveryPolicy.of(settings)
        self.rules = list(settings.rules)
        self.repo = AlertRepo(store)
        self.outbox = OutboxRepo(store)
        self._rules = {rule.name: rule for rule in self.rules}
        self._timing = {rule.name: Timing.of(rule) for rule in self.rules}
        self._tables = ProjectTables.of(project)
        self._log = EventLog(store)
        self.consumer = Consumer(self._log, CONSUMER, self._handle, types=watched_types(self.rules))
        if senders is None:
            senders = {
                name: sender_for(
                    name, spec, timeout=self.policy.timeout, root=project.root, environ=environ
                )
                for name, spec in settings.channels.items()
            }
        self.workers = {
            name: ChannelWorker(self.outbox, sender, self.policy, self.clock)
            for name, sender in senders.items()
        }
        self._begin()
        self._firing: set[tuple[str, str]] | None = None
        self._next_due: datetime | None = None
        self._last_flush = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def _begin(self) -> None:
        """Place a new consumer at the end of the log: alerts are about what happens from
        now on. Turning alerts on for a project with months of history must not page
        anyone about every failure in it; once the cursor exists, a restart resumes it."""
        if all(cursor.consumer != CONSUMER for cursor in self.store.events.cursors()):
            self.store.events.advance_cursor(CONSUMER, self._log.latest_id())

    def start(self) -> None:
        """Check every channel's secrets, then consume and deliver on background threads.

        Raises:
            AlertConfigError: a channel's ``${env:NAME}`` is not set or its CA file is
                unreadable (the message names the channel and the variable).
        """
        if self._thread is not None:
            return
        used = {channel for rule in self.rules for channel in rule.channels}
        for name, worker in self.workers.items():
            if name in used:
                worker.sender.check()
        self._stop.clear()
        for worker in self.workers.values():
            worker.start()
        self._thread = threading.Thread(target=self._run, name="sw-alerts", daemon=True)
        self._thread.start()
        log.info("alerts: %d rule(s), %d channel(s)", len(self.rules), len(self.workers))

    def stop(self, timeout: float = 5.0) -> None:
        """Stop consuming and delivering; idempotent. What is undelivered stays in the
        outbox and goes out after the next start."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
            self._thread = None
        for worker in self.workers.values():
            worker.stop(max(0.0, deadline - time.monotonic()))

    # ------------------------------------------------------------------ one round

    def run_once(self) -> int:
        """Handle every event there is, then write the messages that are due.

        Returns the number of events handled. What the background thread does in a loop;
        tests and commands call it directly.
        """
        handled = self.consumer.run_until_idle()
        self._next_due = self.flush()
        self._last_flush = time.monotonic()
        return handled

    def deliver_now(self) -> int:
        """Attempt every channel's due messages on this thread; returns the attempts."""
        return sum(worker.deliver_due() for worker in self.workers.values())

    def flush(self) -> datetime | None:
        """Write the messages of every group that is due, and rate-limit summaries.

        Returns:
            When the next held-back group or summary falls due, or None.
        """
        now = self.clock.now()
        woken: set[str] = set()
        due = [self._send_groups(now, woken), self._summarize_held(now, woken)]
        for channel in woken & set(self.workers):
            self.workers[channel].wake()
        return min((d for d in due if d is not None), default=None)

    def _send_groups(self, now: datetime, woken: set[str]) -> datetime | None:
        """Write one message per due group to each of its rule's channels."""
        next_due: datetime | None = None
        for group in self.repo.pending_groups():
            rule = self._rules.get(group.rule)
            if rule is None:  # the rule was removed from sluiceway.yaml
                self.repo.drop_pending(group.rule)
                continue
            due = due_at(group, self._timing[rule.name])
            if due > now:
                next_due = due if next_due is None else min(next_due, due)
                continue
            alerts = self.repo.pending_alerts(group.rule, group.group_key)
            if not alerts:
                continue
            message = alert_message(
                self.project.settings.name, self.project.env, rule.name, alerts, now
            )
            body = message.to_json()
            notifications = [
                NewNotification(
                    channel=channel,
                    kind="alert",
                    title=message.title,
                    message=body,
                    created_at=now,
                    status="pending" if self._budget(channel, now) > 0 else "held",
                    rule=rule.name,
                    group_key=group.group_key,
                )
                for channel in rule.channels
            ]
            self.repo.record_message(alerts, notifications, now)
            woken.update(n.channel for n in notifications if n.status == "pending")
            held = [n.channel for n in notifications if n.status == "held"]
            if held:
                log.warning("alert '%s' held by the rate limit of %s", message.title, held)
        return next_due

    def _summarize_held(self, now: datetime, woken: set[str]) -> datetime | None:
        """One summary per channel for what its rate limit held, once a slot is free."""
        next_due: datetime | None = None
        for channel, held_back in self.outbox.held().items():
            if channel not in self.settings.channels:
                continue
            if self._budget(channel, now) <= 0:
                oldest = self.outbox.oldest_counted(channel, now - RATE_WINDOW)
                if oldest is not None:
                    frees = oldest + RATE_WINDOW
                    next_due = frees if next_due is None else min(next_due, frees)
                continue
            message = summary_message(
                self.project.settings.name, self.project.env, channel, held_back, now
            )
            self.outbox.summarize(
                held_back,
                NewNotification(
                    channel=channel,
                    kind="summary",
                    title=message.title,
                    message=message.to_json(),
                    created_at=now,
                ),
            )
            woken.add(channel)
        return next_due

    # ------------------------------------------------------------------ events

    def _handle(self, event: Event) -> None:
        for signal in signals(self.rules, event, self._tables):
            if signal.kind == "resolve":
                self._resolve(signal, event)
            else:
                self._fire(signal, event)

    def _fire(self, signal: Signal, event: Event) -> None:
        assert event.id is not None  # events read from the log have ids
        rule, timing, now = signal.rule, self._timing[signal.rule.name], self.clock.now()
        latest = summary(event)

        def context() -> dict[str, object]:
            return alert_context(event, self.store, self.project.env, self._tables)

        self.repo.apply(
            rule.name,
            signal.subject,
            event.id,
            lambda current: fire(current, event, signal, timing, now, context, latest),
        )
        self._firing_set().add((rule.name, signal.subject))

    def _resolve(self, signal: Signal, event: Event) -> None:
        assert event.id is not None
        key = (signal.rule.name, signal.subject)
        firing = self._firing_set()
        if key not in firing:  # most passing checks clear nothing: no query for them
            return
        timing, now = self._timing[signal.rule.name], self.clock.now()
        self.repo.apply(
            signal.rule.name,
            signal.subject,
            event.id,
            lambda current: resolve(current, event, timing, now),
        )
        firing.discard(key)

    def _firing_set(self) -> set[tuple[str, str]]:
        if self._firing is None:
            self._firing = {(a.rule, a.subject) for a in self.repo.firing()}
        return self._firing

    def _budget(self, channel: str, now: datetime) -> int:
        limit = self.settings.channel_rate_limit(channel)
        return limit - self.outbox.used(channel, now - RATE_WINDOW)

    # ------------------------------------------------------------------ thread

    def _run(self) -> None:
        with Subscription(self.store) as subscription:
            while not self._stop.is_set():
                try:
                    latest = self._log.latest_id()
                    handled = self.consumer.run_until_idle()
                    if handled or self._flush_due():
                        self._next_due = self.flush()
                        self._last_flush = time.monotonic()
                    wait = self._wait()
                    position = max(latest, self.consumer.position)
                except Exception as exc:  # the store is down, or an event failed: retry
                    self._firing = None
                    log.warning("alerts: %s; retrying in %.0f s", exc, RETRY_DELAY)
                    self._stop.wait(RETRY_DELAY)
                    continue
                subscription.wait(position, wait)

    def _flush_due(self) -> bool:
        if time.monotonic() - self._last_flush >= FLUSH_EVERY:
            return True
        return self._next_due is not None and self.clock.now() >= self._next_due

    def _wait(self) -> float:
        if self._next_due is None:
            return WAIT_MAX
        seconds = (self._next_due - self.clock.now()).total_seconds()
        return min(WAIT_MAX, max(0.01, seconds))


def alert_engine(
    project: Project, store: MetaStore, *, clock: Clock | None = None
) -> AlertEngine | None:
    """The alert engine ``project`` needs, not started; None when it declares no rules."""
    if not project.settings.alerts.rules:
        return None
    return AlertEngine(project, store, clock=clock)


def send_test_message(
    project: Project, channel: str, *, environ: Mapping[str, str] | None = None
) -> None:
    """Send a test message to ``channel`` now, bypassing the outbox.

    Raises:
        UsageError: no channel of that name.
        AlertConfigError, DeliveryFailed, DeliveryRejected: why the message did not go out.
    """
    from sluiceway.errors import UsageError
    from sluiceway.spec.problems import did_you_mean

    settings = project.settings.alerts
    spec = settings.channels.get(channel)
    if spec is None:
        defined = ", ".join(sorted(settings.channels)) or "none"
        raise UsageError(
            f"no alert channel '{channel}'",
            hint=did_you_mean(channel, settings.channels) or f"defined: {defined}",
        )
    policy = DeliveryPolicy.of(settings)
    sender = sender_for(channel, spec, timeout=policy.timeout, root=project.root, environ=environ)
    sender.check()
    now = datetime.now(UTC)
    sender.send(test_message(project.settings.name, project.env, channel, now), 0)
