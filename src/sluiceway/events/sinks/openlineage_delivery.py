"""Handing OpenLineage events to transports: tries, backoff, and who already has what.

One of our events may become several OpenLineage events, and each goes to every
transport. When a transport fails, the sink's consumer stops at our event and hands it
over again later; :class:`Delivery` then skips what each transport already took, so the
file does not get a line again each time the HTTP receiver turns the event down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sluiceway.events.sinks.openlineage_facets import Json
from sluiceway.events.sinks.openlineage_transports import DeliveryError, RejectedError, Transport

if TYPE_CHECKING:
    from sluiceway.spec.openlineage import OpenLineageSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How long the sink keeps trying an event, and how it spaces the tries.

    Attributes:
        attempts: tries of one event in a row (``1 + openlineage.retries``).
        first_delay: seconds before the second try; doubled for each further one.
        max_delay: the longest wait between two tries in a row.
        pause: seconds to wait after ``attempts`` failed tries before the next round.
        not_ready_delay: seconds to wait for a step's facts (its profile) to be recorded.
    """

    attempts: int = 6
    first_delay: float = 0.5
    max_delay: float = 30.0
    pause: float = 60.0
    not_ready_delay: float = 0.25

    @classmethod
    def of(cls, settings: OpenLineageSettings) -> RetryPolicy:
        """The policy of ``openlineage:`` settings (``retries`` tries after the first)."""
        return cls(attempts=1 + settings.retries)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        return min(self.first_delay * 2 ** (attempt - 1), self.max_delay)


class Delivery:
    """Sends OpenLineage events to every transport, trying each as the policy says.

    Attributes:
        delivered: events a transport took.
        rejected: events a transport refused for good (logged, then passed over).
        last_error: the latest failure, until the sink clears it.
        deadline: a ``time.monotonic()`` instant no wait may pass (a bounded drain);
            None to wait as long as the policy says, unless ``stop`` is set.
    """

    def __init__(
        self, transports: Sequence[Transport], policy: RetryPolicy, stop: threading.Event
    ) -> None:
        self.transports = list(transports)
        self.policy = policy
        self.stop = stop
        self.delivered = 0
        self.rejected = 0
        self.last_error: str | None = None
        self.deadline: float | None = None
        # The last OpenLineage event (our event id, its index) each transport took.
        self._marks: dict[str, tuple[int, int]] = {}

    def send(self, event_id: int, payloads: Sequence[Json]) -> None:
        """Hand the OpenLineage events of our event ``event_id`` to every transport.

        Raises:
            DeliveryError: a transport did not take one after every try; the ones before
                it are remembered, and not sent again when this is called again.
        """
        for index, payload in enumerate(payloads):
            position = (event_id, index)
            for transport in self.transports:
                if self._marks.get(transport.name, (0, -1)) >= position:
                    continue
                self._send(transport, payload, event_id)
                self._marks[transport.name] = position

    def flush(self) -> None:
        """Make what every transport took durable."""
        for transport in self.transports:
            transport.flush()

    def close(self) -> None:
        """Close every transport."""
        for transport in self.transports:
            transport.close()

    def _send(self, transport: Transport, payload: Json, event_id: int) -> None:
        attempt = 1
        while True:
            try:
                transport.send(payload)
                self.delivered += 1
                return
            except RejectedError as exc:
                self.rejected += 1
                log.error(
                    "openlineage: %s refused the lineage of event %s, passed over: %s",
                    transport.name,
                    event_id,
                    exc,
                )
                return
            except DeliveryError as exc:
                self.last_error = f"event {event_id} not delivered yet: {exc}"
                if attempt >= self.policy.attempts or self._wait(self.policy.delay(attempt)):
                    raise
                attempt += 1

    def _wait(self, delay: float) -> bool:
        """Wait ``delay`` s; True when cut short (a stop, or a deadline that would pass)."""
        if self.deadline is None:
            return self.stop.wait(delay)
        if time.monotonic() + delay >= self.deadline:
            return True
        time.sleep(delay)
        return False
