"""A scenario file: what people did and when, written as a timeline (examples/scenarios/).

    name: …
    start: 2025-03-01T08:00:00Z
    staff: [{name: r.okafor, role: reviewer}, {name: l.chen, role: lead}]
    measure_from: victim            # the report the times are measured from
    original: {removed_at: "victim + 11d", note: "…"}  # when the content came down back then
    demand:                          # people trying to watch a post, spread evenly
      - {post: compilation-a, views: 90000, from: 0d, to: 120d}
    timeline:
      - {at: 0d, post: {id: compilation-a, account: collector_one, kind: video, seed: 7}}
      - {at: 39d 21h, report: {label: victim, post: compilation-a, category: …, …}}
      - {at: victim + 20m, decision: {report: victim, by: r.okafor, outcome: violating, …}}
      - {at: 41d, outage: {minutes: 90}}

`at` is an offset from `start` (`39d 21h 30m`, `45s`) or `<label> + <offset>` after an
earlier step that has a `label` (reports use theirs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

STEP_KINDS = ("post", "views", "report", "decision", "outage", "bank", "note")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class ScenarioError(Exception):
    """The file is not a valid scenario; the message says where."""


def parse_duration(text: str | int | float) -> timedelta:
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    cleaned = str(text).strip()
    if cleaned in ("0", ""):
        return timedelta(0)
    parts = _DURATION.findall(cleaned)
    if not parts or _DURATION.sub("", cleaned).strip():
        raise ScenarioError(f"not a duration: {text!r} (use forms like '3d 4h 30m' or '45s')")
    total = timedelta(0)
    for amount, unit in parts:
        total += timedelta(**{_UNITS[unit]: float(amount)})
    return total


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str
    args: dict[str, Any]
    label: str | None
    index: int


@dataclass(frozen=True)
class Demand:
    post: str
    views: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    start: datetime
    staff: list[tuple[str, str]]
    steps: list[Step]
    demand: list[Demand]
    measure_from: str | None
    original_removed_at: datetime | None
    original_note: str
    settle: timedelta
    labels: dict[str, datetime] = field(default_factory=dict)

    @property
    def end(self) -> datetime:
        last = max([s.at for s in self.steps] + [d.end for d in self.demand] + [self.start])
        return last + self.settle


def _start(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise ScenarioError(f"start must be an RFC 3339 time, not {value!r}") from None


def _when(value: Any, start: datetime, labels: dict[str, datetime], where: str) -> datetime:
    text = str(value).strip()
    if "+" in text and not text.startswith("+"):
        label, _, offset = text.partition("+")
        label = label.strip()
        if label not in labels:
            raise ScenarioError(f"{where}: {label!r} is not the label of an earlier step")
        return labels[label] + parse_duration(offset)
    return start + parse_duration(text.lstrip("+"))


def load_scenario(path: Path) -> Scenario:
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"cannot read {path}: {exc}") from None
    return parse_scenario(raw, str(path))


def parse_scenario(raw: Any, source: str = "scenario") -> Scenario:
    if not isinstance(raw, dict) or not isinstance(raw.get("timeline"), list):
        raise ScenarioError(f"{source}: a scenario is a mapping with a `timeline` list")
    start = _start(raw.get("start", "2026-01-01T00:00:00Z"))
    labels: dict[str, datetime] = {}
    steps: list[Step] = []
    for index, entry in enumerate(raw["timeline"]):
        where = f"{source}: timeline[{index}]"
        if not isinstance(entry, dict) or "at" not in entry:
            raise ScenarioError(f"{where}: each step is a mapping with `at`")
        kinds = [k for k in entry if k in STEP_KINDS]
        if len(kinds) != 1:
            raise ScenarioError(f"{where}: say exactly one of {', '.join(STEP_KINDS)}")
        kind = kinds[0]
        args = entry[kind] if isinstance(entry[kind], dict) else {"text": entry[kind]}
        at = _when(entry["at"], start, labels, where)
        label = (
            entry.get("label") or args.get("label") or (args.get("id") if kind == "post" else None)
        )
        if label:
            labels[str(label)] = at
        steps.append(Step(at, kind, dict(args), str(label) if label else None, index))
    steps.sort(key=lambda s: (s.at, s.index))
    demand = [
        Demand(
            post=str(d["post"]),
            views=int(d["views"]),
            start=_when(d.get("from", "0"), start, labels, f"{source}: demand"),
            end=_when(d["to"], start, labels, f"{source}: demand"),
        )
        for d in raw.get("demand", []) or []
    ]
    original = raw.get("original") or {}
    removed = original.get("removed_at")
    return Scenario(
        name=str(raw.get("name", source)),
        description=str(raw.get("description", "")).strip(),
        start=start,
        staff=[(str(s["name"]), str(s["role"])) for s in raw.get("staff", []) or []],
        steps=steps,
        demand=demand,
        measure_from=raw.get("measure_from"),
        original_removed_at=(
            _when(removed, start, labels, f"{source}: original") if removed else None
        ),
        original_note=str(original.get("note", "")).strip(),
        settle=parse_duration(raw.get("settle", "3d")),
        labels=labels,
    )
