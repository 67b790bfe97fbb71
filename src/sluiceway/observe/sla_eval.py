"""Whether a table keeps its SLA at one instant: a pure function of the SLA, its last
commit and the time.

Two kinds of promise (``tables: <name>: sla:`` in a pipeline file):

- ``fresh_within: 2h`` — the last commit is younger than two hours. The SLA is missed from
  the instant the last commit turns two hours old (``expected_by``) until the next commit.
- ``ready_by: "06:00 Europe/Paris"`` (on ``days``) — on each listed day, the table has a
  commit made that day (local midnight onwards) by 06:00 local time. Past the deadline
  without one, the SLA is missed until a commit arrives; a late commit recovers it, and it
  stays met until the next deadline. Before a day's deadline nothing is due yet, so the
  state carries over from the previous deadline.

A table never committed has kept no promise: it misses a ``fresh_within`` SLA at once and
a ``ready_by`` SLA from the latest deadline. Deadlines are wall-clock times in the SLA's
zone: on the day clocks skip 02:00–03:00, a 02:30 deadline falls at 03:30 (the instant the
skipped half hour would have ended); on the day 02:00–03:00 repeats, at the first 02:30.

Nothing here reads a clock or a database, so every rule above is tested directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sluiceway.spec.durations import format_duration
from sluiceway.spec.tables import Sla

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""``days`` names by ``date.weekday()``."""


@dataclass(frozen=True, slots=True)
class SlaStatus:
    """One table's SLA judged at one instant.

    Attributes:
        met: whether the promise holds now.
        expected_by: when missed, the instant the data was due (None for a table never
            committed under ``fresh_within``: it was due from the start).
        next_check: when met, the first instant it could be missed if no commit arrives;
            None when missed (only a commit changes that).
        detail: one sentence saying why, for people.
    """

    met: bool
    expected_by: datetime | None
    next_check: datetime | None
    detail: str


def describe(sla: Sla) -> str:
    """The SLA as people write it: ``fresh_within 2h``, ``ready_by 06:00 Europe/Paris mon-fri``."""
    if sla.fresh_within is not None:
        return f"fresh_within {format_duration(sla.fresh_within)}"
    days = _days_text(sla.days)
    return f"ready_by {sla.clock_time:%H:%M} {sla.zone}" + (f" {days}" if days else "")


def evaluate(
    sla: Sla, last_commit: datetime | None, now: datetime, table: str = "the table"
) -> SlaStatus:
    """Judge ``sla`` at ``now`` given the table's ``last_commit`` (None: never committed).

    Both instants must be timezone-aware.
    """
    _aware(now, "now")
    if last_commit is not None:
        _aware(last_commit, "last_commit")
    if sla.fresh_within is not None:
        return _fresh_within(sla.fresh_within, last_commit, now, table)
    return _ready_by(sla, last_commit, now, table)


def deadline_at_or_before(sla: Sla, moment: datetime) -> datetime:
    """The latest ``ready_by`` deadline at or before ``moment`` (on one of ``days``)."""
    zone = ZoneInfo(sla.zone)
    day = moment.astimezone(zone).date()
    for back in range(8):
        candidate = _deadline_on(sla, day - timedelta(days=back), zone)
        if candidate is not None and candidate <= moment:
            return candidate
    raise ValueError(f"no deadline in the week before {moment.isoformat()}")  # days is never empty


def deadline_after(sla: Sla, moment: datetime) -> datetime:
    """The first ``ready_by`` deadline strictly after ``moment`` (on one of ``days``)."""
    zone = ZoneInfo(sla.zone)
    day = moment.astimezone(zone).date()
    for ahead in range(9):
        candidate = _deadline_on(sla, day + timedelta(days=ahead), zone)
        if candidate is not None and candidate > moment:
            return candidate
    raise ValueError(f"no deadline in the week after {moment.isoformat()}")


def day_start(deadline: datetime, zone_name: str) -> datetime:
    """Local midnight (in UTC) of the day ``deadline`` falls on: where its window opens."""
    zone = ZoneInfo(zone_name)
    local_day = deadline.astimezone(zone).date()
    return _local(local_day, 0, 0, zone)


def _fresh_within(
    limit: timedelta, last_commit: datetime | None, now: datetime, table: str
) -> SlaStatus:
    spelled = format_duration(limit)
    if last_commit is None:
        return SlaStatus(
            met=False,
            expected_by=None,
            next_check=None,
            detail=f"{table} has never been committed; it must be fresh within {spelled}",
        )
    due = last_commit + limit
    age = _age(now - last_commit)
    if now >= due:
        return SlaStatus(
            met=False,
            expected_by=due,
            next_check=None,
            detail=f"{table} was last committed {age} ago, at {_utc_text(last_commit)}; "
            f"it must be fresh within {spelled}",
        )
    return SlaStatus(
        met=True,
        expected_by=None,
        next_check=due,
        detail=f"{table} was committed {age} ago; fresh within {spelled} until {_utc_text(due)}",
    )


def _ready_by(sla: Sla, last_commit: datetime | None, now: datetime, table: str) -> SlaStatus:
    deadline = deadline_at_or_before(sla, now)
    opens = day_start(deadline, sla.zone)
    local = deadline.astimezone(ZoneInfo(sla.zone))
    when = f"{local:%a %Y-%m-%d %H:%M} {sla.zone}"
    if last_commit is not None and last_commit >= opens:
        following = deadline_after(sla, now)
        return SlaStatus(
            met=True,
            expected_by=None,
            next_check=following,
            detail=f"{table} was committed at {_utc_text(last_commit)}, for the deadline of {when}",
        )
    last = (
        "has never been committed"
        if last_commit is None
        else (f"was last committed at {_utc_text(last_commit)}")
    )
    return SlaStatus(
        met=False,
        expected_by=deadline,
        next_check=None,
        detail=f"{table} {last}; it was due by {when}",
    )


def _deadline_on(sla: Sla, day: date, zone: ZoneInfo) -> datetime | None:
    if WEEKDAYS[day.weekday()] not in sla.days:
        return None
    clock = sla.clock_time
    return _local(day, clock.hour, clock.minute, zone)


def _local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time, choosing as cron does around DST changes.

    In a repeated hour the first occurrence (``fold=0``); in a skipped hour the wall time
    read with the offset from before the change, which lands just past the gap (02:30 on
    a spring-forward night in Paris is 03:30 local, 01:30 UTC).
    """
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return wall.astimezone(UTC)


def _days_text(days: Sequence[str]) -> str:
    """``mon-fri`` for a weekday range, ``mon,wed,fri`` otherwise, empty for every day."""
    chosen = [d for d in WEEKDAYS if d in days]
    if len(chosen) == len(WEEKDAYS):
        return ""
    first, last = WEEKDAYS.index(chosen[0]), WEEKDAYS.index(chosen[-1])
    if len(chosen) > 2 and last - first + 1 == len(chosen):
        return f"{chosen[0]}-{chosen[-1]}"
    return ",".join(chosen)


def _age(delta: timedelta) -> str:
    """``3h 12m``: an age to the minute, people do not read seconds of staleness."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else "less than a minute"


def _utc_text(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
