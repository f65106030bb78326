"""Emails to reporters: each reporter-visible step of their case, by SMTP, once.

Recorded by `case_log.record` as `notify.email` jobs keyed by (report, event), so a step is
queued once per reporter; the Message-ID is derived from the same pair, so a retry after a lost
acknowledgement is recognisable as the same message. The words are the status page's
(`services.status.update_message`), framed by a catalogue template. With no
`TAKEDOWN_SMTP_HOST` the jobs complete without sending.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy.orm import Session

from takedown.config import Settings
from takedown.jobs import NOTICES, Job, JobContext
from takedown.notices.emails import compose_update
from takedown.store.models import CaseEvent, Report

log = logging.getLogger("takedown.notifications")


def send_update_email(
    settings: Settings, session: Session, payload: dict[str, Any], now: datetime
) -> None:
    if not settings.smtp_host:
        return
    report = session.get(Report, payload["report_id"])
    event = session.get(CaseEvent, payload["event_id"])
    if report is None or event is None or not report.contact_email:
        return
    # Imported here: the status page reads the case log, which queues these emails.
    from takedown.services.status import update_message

    message = update_message(event, report)
    if message is None:
        return
    subject, body = compose_update(report.case_id, event.at, message)
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = report.contact_email
    email["Subject"] = subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = f"<{report.id}.{event.id}@takedown>"
    email.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        smtp.send_message(email)
    log.info("sent update email for report %s event %s", report.id, event.id)


def _run_email(ctx: JobContext, session: Session, payload: dict[str, Any], now: datetime) -> None:
    send_update_email(ctx.settings, session, payload, now)


# One email per (report, event) to a reporter who gave an address.
NOTIFY_EMAIL = "notify.email"
NOTIFY_EMAIL_JOB = Job(NOTIFY_EMAIL, _run_email, queue=NOTICES)
