"""Live task rules R-live2: watch time, new follows within 30 days, no task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import FieldError
from core.errors import Problem as P
from core.values import is_whole

FOLLOW_WINDOW = timedelta(days=30)
MAX_WATCH_MINUTES = 60


class TaskType(StrEnum):
    WATCH = "watch"
    FOLLOW = "follow"
    NONE = "none"


@dataclass(frozen=True)
class Task:
    type: TaskType
    minutes: int | None = None

    def describe(self) -> str:
        if self.type == TaskType.WATCH:
            return f"watch {self.minutes} min"
        if self.type == TaskType.FOLLOW:
            return "follow the host"
        return "no task"

    def as_dict(self) -> dict[str, object]:
        if self.type == TaskType.WATCH:
            return {"type": "watch", "minutes": self.minutes}
        return {"type": self.type.value}


def validate_task(task_type: object, minutes: object) -> list[FieldError]:
    if task_type not in set(TaskType):
        return [FieldError("task.type", "must be 'watch', 'follow' or 'none'", P.CHOICE)]
    if task_type == TaskType.WATCH:
        if not is_whole(minutes):
            return [FieldError("task.minutes", "must be a whole number of minutes", P.NOT_WHOLE)]
        if not 1 <= minutes <= MAX_WATCH_MINUTES:
            return [
                FieldError(
                    "task.minutes",
                    f"must be between 1 and {MAX_WATCH_MINUTES}",
                    P.OUT_OF_RANGE,
                    {"lo": 1, "hi": MAX_WATCH_MINUTES},
                )
            ]
    elif minutes is not None:
        return [FieldError("task.minutes", "only for the watch task", P.NOT_APPLICABLE)]
    return []


def follow_counts_as_new(at: datetime, last_counted: datetime | None) -> bool:
    """A follow is new when no counted follow of the same host by the same viewer happened in
    the 30 days before it (so a refollow on day 29 is not new, on day 31 it is)."""
    return last_counted is None or at - last_counted >= FOLLOW_WINDOW


def follow_qualifies(following: bool, last_counted: datetime | None, now: datetime) -> bool:
    """R-live2 follow task: following now, and the counted new follow is at most 30 days old."""
    return following and last_counted is not None and now - last_counted <= FOLLOW_WINDOW


def missing_watch_seconds(required_minutes: int, watched_seconds: int) -> int:
    return max(0, required_minutes * 60 - watched_seconds)
