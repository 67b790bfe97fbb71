"""The event model: common fields, a registry of types, and conversion to stored rows.

Every event has a ``type`` (``table.committed``) and the common fields Sluiceway queries by
(``run_id``, ``pipeline``, ``step``, ``table``), stored as columns; everything else is the
JSON payload. Subclassing :class:`Event` with a literal ``type`` registers the class, so a
subsystem adds its own event types where it lives, without editing a central list. A row
whose type this version does not know is read as a :class:`GenericEvent`, never an error:
old code must be able to read a log written by newer code.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sluiceway.meta.events import EventRecord, NewEvent

log = logging.getLogger(__name__)

_REGISTRY: dict[str, type[Event]] = {}


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of every event. ``id`` is assigned when the event is appended to the log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    COMMON: ClassVar[frozenset[str]] = frozenset(
        {"id", "type", "time", "run_id", "pipeline", "step", "table"}
    )

    type: str
    id: int | None = None
    time: datetime = Field(default_factory=_now)
    run_id: str | None = None
    pipeline: str | None = None
    step: str | None = None
    table: str | None = None

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("event time must be timezone-aware")
        return value.astimezone(UTC)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        default = cls.model_fields["type"].default
        if isinstance(default, str):
            registered = _REGISTRY.setdefault(default, cls)
            if registered is not cls and registered.__qualname__ != cls.__qualname__:
                raise TypeError(f"event type {default!r} is already {registered.__qualname__}")
            _REGISTRY[default] = cls

    def payload(self) -> dict[str, Any]:
        """The fields stored in the JSON payload (everything but the common ones)."""
        return self.model_dump(mode="json", exclude=set(self.COMMON))


class GenericEvent(Event):
    """An event of a type this version does not know (or an ad-hoc type): its payload as is."""

    data: dict[str, Any] = Field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The payload exactly as stored."""
        return dict(self.data)


def event_class(type_name: str) -> type[Event] | None:
    """The class registered for ``type_name``, if any."""
    return _REGISTRY.get(type_name)


def registered_types() -> dict[str, type[Event]]:
    """Every registered event type, by name."""
    return dict(sorted(_REGISTRY.items()))


def to_new_event(event: Event) -> NewEvent:
    """The storage form of ``event``."""
    return NewEvent(
        type=event.type,
        time=event.time,
        run_id=event.run_id,
        pipeline=event.pipeline,
        step=event.step,
        table=event.table,
        payload=event.payload(),
    )


def from_record(record: EventRecord) -> Event:
    """The typed event for a stored row; a :class:`GenericEvent` if the type is unknown.

    Payload keys the class does not declare (written by a newer version) are dropped, and a
    payload that no longer validates falls back to a generic event with a warning.
    """
    common = {
        "id": record.id,
        "type": record.type,
        "time": record.time,
        "run_id": record.run_id,
        "pipeline": record.pipeline,
        "step": record.step,
        "table": record.table,
    }
    cls = event_class(record.type)
    if cls is not None:
        fields = cls.model_fields
        known = {k: v for k, v in record.payload.items() if k in fields and k not in Event.COMMON}
        try:
            return cls.model_validate({**common, **known})
        except ValidationError as exc:
            log.warning("event %s (%s) read as generic: %s", record.id, record.type, exc)
    return GenericEvent.model_validate({**common, "data": record.payload})
