"""The monitoring services ``sluiceway serve`` runs beside its watchers and workers.

Each one reads the metadata store on its own thread and never holds up a run:

* the OpenLineage sink (when ``openlineage:`` is set) sends run and step lineage;
* the alert engine (when ``alerts:`` declares rules) routes events to channels;
* the SLA watchdog judges every table's SLA on a clock, whether or not anything runs;
* the system-table exporter mirrors the store into ``_system.*`` every
  ``daemon.system_tables_interval`` (0s: off);
* the metrics endpoint answers ``GET /metrics`` (when the daemon is given a port).

They share the component shape of the trigger watchers (``name``, ``start()``,
``stop(timeout)``). The daemon starts them after the workers (the metrics endpoint first,
so a taken port fails the start at once) and stops them after the workers have drained:
the events of the last runs are still sent, alerted and exported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.triggers.clock import Clock
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)


class Service(Protocol):
    """A background component of the daemon."""

    name: str

    def start(self) -> None:
        """Start on a daemon thread; returns at once."""
        ...

    def stop(self, timeout: float = 5.0) -> None:
        """Stop and join (up to ``timeout`` s); idempotent."""
        ...


def monitoring_services(
    project: Callable[[], Project],
    store: MetaStore,
    *,
    clock: Clock | None = None,
    monitoring: bool = True,
    metrics_port: int | None = None,
) -> list[Service]:
    """The services ``project`` asks for, not started, in the order to start them.

    Args:
        project: returns the current project (the daemon's, reloaded when files change).
        clock: the services' time (tests move a manual clock; default: the system's).
        monitoring: include lineage, alerts, SLAs and system tables (False: only metrics).
        metrics_port: where ``/metrics`` listens (0: a free port); None: no endpoint.
    """
    from sluiceway.events.sinks import openlineage_sink
    from sluiceway.observe.alerts import alert_engine
    from sluiceway.observe.metrics_server import metrics_server
    from sluiceway.observe.sla import sla_watchdog
    from sluiceway.observe.system.exporter import SystemTablesExporter

    services: list[Service] = []
    if metrics_port is not None:
        services.append(metrics_server(project, store, port=metrics_port, clock=clock))
    if not monitoring:
        return services
    current = project()
    sink = openlineage_sink(current, store)
    if sink is not None:
        services.append(sink)
    engine = alert_engine(current, store, clock=clock)
    if engine is not None:
        services.append(engine)
    services.append(sla_watchdog(project, store, clock=clock))
    exporter = SystemTablesExporter(current, store)
    if exporter.interval > 0:
        services.append(exporter)
    return services
