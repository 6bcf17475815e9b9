"""Read the duty roster (带班领导 / 值班员) from a TOML file; the wall shows the names masked."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from datafeeds.masking import mask_name


@dataclass(frozen=True)
class Duty:
    """Who is on duty one day."""

    leader: str = ""
    officers: tuple[str, ...] = ()

    def masked(self) -> dict[str, Any]:
        """Return the duty as the wall may show it."""
        return {"leader": mask_name(self.leader), "officers": [mask_name(o) for o in self.officers]}


def _duty(entry: dict[str, Any]) -> Duty:
    officers = entry.get("officers", [])
    if isinstance(officers, str):
        officers = [officers]
    return Duty(leader=str(entry.get("leader", "")), officers=tuple(str(o) for o in officers))


class Roster:
    """A default duty, duties by weekday (1 = Monday) and by date; the most specific wins."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.default = _duty(data.get("default", {}))
        self.weekdays = {int(k): _duty(v) for k, v in data.get("weekdays", {}).items()}
        self.days = {date.fromisoformat(str(k)): _duty(v) for k, v in data.get("days", {}).items()}

    @classmethod
    def load(cls, path: Path | None) -> Roster:
        """Read a roster file; no file means nobody is named."""
        if path is None:
            return cls({})
        with path.open("rb") as f:
            return cls(tomllib.load(f))

    def on(self, day: date) -> Duty:
        """Return who is on duty on a day."""
        return self.days.get(day) or self.weekdays.get(day.isoweekday()) or self.default
