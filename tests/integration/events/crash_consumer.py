"""A consumer process for the crash test: records every delivery durably, then the cursor.

Usage: ``python crash_consumer.py URL NAME OUTPUT DELAY``. Each handled event id is
buffered; ``before_commit`` appends the batch to OUTPUT with flush + fsync, and only then
does the consumer advance its cursor. DELAY seconds of sleep, half before the write and half
after, widen both windows a SIGKILL can land in. It exits after handling a ``test.done`` event.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from sluiceway.events import Consumer, Event, EventLog
from sluiceway.meta.store import open_store


def main(url: str, name: str, output: str, delay: float) -> None:
    store = open_store(url)
    stop = threading.Event()
    buffer: list[int] = []

    with open(output, "a", encoding="ascii") as sink:

        def handle(event: Event) -> None:
            assert event.id is not None
            buffer.append(event.id)
            if event.type == "test.done":
                stop.set()

        def flush() -> None:
            time.sleep(delay / 2)  # a kill here must not lose the batch
            sink.write("".join(f"{event_id}\n" for event_id in buffer))
            sink.flush()
            os.fsync(sink.fileno())
            buffer.clear()
            time.sleep(delay / 2)  # a kill here redelivers the batch

        consumer = Consumer(EventLog(store), name, handle, batch_size=100, before_commit=flush)
        consumer.run_forever(stop)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
