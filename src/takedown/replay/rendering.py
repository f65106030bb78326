"""Printing a replay: the merged timeline of both apps, then the measures, with Rich."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.console import Console
from rich.table import Table

from takedown.replay.engine import Happening, Run, platform_log
from takedown.replay.measures import Measures

_SIDE_STYLE = {"scenario": "bold", "takedown": "cyan", "platform": "magenta"}


def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{value.total_seconds():.1f} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m"]
    return " ".join(p for p in parts if p)


def offset(start: datetime, at: datetime) -> str:
    delta = at - start
    days, rest = divmod(int(delta.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"day {days:>3} {hours:02d}:{minutes:02d}:{seconds:02d}"


def timeline(run: Run) -> list[Happening]:
    """Scenario steps, every Takedown case event and every platform state change, in order."""
    rows = list(run.happenings)
    seen: set[str] = set()
    for receipt in run.reports.values():
        if receipt.response is None or receipt.response["case_id"] in seen:
            continue
        seen.add(receipt.response["case_id"])
        case = run.stage.get(f"/v1/cases/{receipt.response['case_id']}")
        for event in (case or {}).get("events", []):
            data = event["data"]
            subject = data.get("content_id") or data.get("account_id") or ""
            what = event["type"] + (f" {data['action']}" if "action" in data else "")
            detail = ", ".join(
                str(data[k]) for k in ("reason", "status", "outcome", "to") if data.get(k)
            )
            rows.append(
                Happening(
                    datetime.fromisoformat(event["at"].replace("Z", "+00:00")),
                    "takedown",
                    f"{case['case_id'][-6:]} {what} {subject}".strip(),
                    f"by {event['actor']}; {detail}" if detail else f"by {event['actor']}",
                )
            )
    for change in platform_log(run.stage)["changes"]:
        rows.append(
            Happening(
                datetime.fromisoformat(change["at"]),
                "platform",
                f"{change['subject']} {change['id']} → {change['state']}",
                change["cause"],
            )
        )
    order = {"scenario": 0, "takedown": 1, "platform": 2}
    return sorted(rows, key=lambda h: (h.at, order.get(h.side, 3)))


def render(run: Run, measures: Measures, console: Console | None = None) -> None:
    console = console or Console()
    scenario = run.scenario
    console.rule(f"[bold]{scenario.name}")
    if scenario.description:
        console.print(scenario.description)
    table = Table(title="Timeline", show_lines=False, expand=True)
    table.add_column("when", no_wrap=True)
    table.add_column("side", no_wrap=True)
    table.add_column("what")
    table.add_column("detail", overflow="fold")
    for row in timeline(run):
        style = _SIDE_STYLE.get(row.side, "")
        table.add_row(offset(scenario.start, row.at), row.side, row.what, row.detail, style=style)
    console.print(table)
    console.print(measures_table(run, measures))
    for label, updates in measures.status_updates.items():
        status = Table(title=f"What reporter '{label}' sees on the status page", expand=True)
        status.add_column("update")
        for message in updates:
            status.add_row(message)
        console.print(status)
    if measures.pending:
        console.print("[yellow]Pending features (not faked):[/] " + "; ".join(measures.pending))


def measures_table(run: Run, m: Measures) -> Table:
    table = Table(title="Measures", expand=True)
    table.add_column("measure")
    table.add_column("value")
    key = f"'{m.key_report}'" if m.key_report else "the first report"
    table.add_row(f"content state in Takedown's answer to {key}", str(m.takedown_state_at_report))
    table.add_row(
        f"time to restriction on the platform, from {key}", duration(m.time_to_restriction)
    )
    for post, took in m.removal.items():
        table.add_row(f"time to removal of {post}, from {key}", duration(took))
    table.add_row(
        f"time to CyberTipline filing accepted, from {key}",
        duration(m.time_to_filing) + (f" ({m.filing_status})" if m.filing_status else ""),
    )
    original = m.original_exposure_after_first_report
    table.add_row(
        "views served after the first report",
        f"{m.exposure_after_first_report:,}"
        + (f"  (the original: {original:,})" if original is not None else ""),
    )
    table.add_row("views served in all", f"{m.total_views:,}")
    for account, state in m.accounts.items():
        table.add_row(f"account @{account}", state)
    for d in m.deadlines:
        verdict = {True: "met", False: "MISSED", None: "undecided"}[d.met]
        table.add_row(
            f"case {d.case_id[-6:]} ({d.priority}, {', '.join(d.content_ids)})",
            f"deadline {verdict}; decided "
            + (offset(run.scenario.start, d.decided_at) if d.decided_at else "never")
            + f"; state {d.state}",
        )
    return table
