"""The renewal calendar as an .ics file: each renewal and its checkpoints, written only over
csdesk's own calendar files."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from pathlib import Path

from csdesk import clock
from csdesk.errors import CsdeskError, FileWriteError
from csdesk.models.enums import RenewalTrack
from csdesk.progress import CancelFn, ProgressFn, Reporter
from csdesk.safefile import ICS_MARK, check_replace, describe_os_error, made_by_csdesk, write_bytes
from csdesk.services.formatting import format_money
from csdesk.services.renewals.pipeline import RenewalRow


def to_ics(rows: list[RenewalRow], *, stamp: date | None = None,
           progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> bytes:
    """An iCalendar file: each renewal an all-day event with alarms at its checkpoints.

    UIDs are stable per account and renewal and SEQUENCE rises when the renewal changes, so
    importing a newer file updates the events instead of adding copies. No METHOD: it is a
    calendar to import, not an invitation. (About half a millisecond per renewal: a whole
    100,000-account book is worth a progress bar.)
    """
    from datetime import datetime

    from icalendar import Alarm, Calendar, Event


    cal = Calendar()
    cal.add("prodid", "-//csdesk//renewal calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Renewals (csdesk)")
    stamp_at = datetime.combine(stamp or clock.today(), datetime.min.time(), UTC)
    report = Reporter(progress, cancel)
    for i, r in enumerate(rows):
        if i % 500 == 0:
            report.checkpoint(0.9 * i / len(rows), f"Renewal {i + 1:,} of {len(rows):,}")
        event = Event()
        event.add("uid", r.uid)
        event.add("sequence", r.sequence)
        event.add("dtstamp", stamp_at)
        event.add("dtstart", r.renewal_date)
        event.add("dtend", r.renewal_date + timedelta(days=1))
        event.add("summary", f"Renewal: {r.name} ({format_money(r.arr_cents, r.currency)})")
        track = RenewalTrack(r.track).label
        event.add("description",
                  f"{r.name} ({r.external_id}) renews on {r.renewal_date:%d %b %Y}.\n"
                  f"ARR {format_money(r.arr_cents, r.currency)}, expected "
                  f"{format_money(r.expected_arr_cents, r.currency)} "
                  f"({r.likelihood:.0%}).\nTrack: {track} — {'; '.join(r.reasons)}.")
        event.add("categories", [track])
        event.add("transp", "TRANSPARENT")
        for mark in r.checkpoints:
            days = (r.renewal_date - mark).days
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{r.name}: renewal in {days} days")
            alarm.add("trigger", timedelta(days=-days))
            event.add_component(alarm)
        cal.add_component(event)
    report.checkpoint(0.9, "Writing the calendar")
    ical: bytes = cal.to_ical()
    return ical


def write_ics(path: Path, rows: list[RenewalRow], *, stamp: date | None = None,
              progress: ProgressFn | None = None, cancel: CancelFn | None = None,
              overwrite: bool = False) -> Path:
    """Write :func:`to_ics` to ``path`` whole or not at all (a temporary file, then a rename,
    so a calendar app never reads half a file and a failed write leaves the old one)."""
    if not path.parent.is_dir():
        raise CsdeskError(f"the folder {path.parent} does not exist")
    check_replace(path, ours=made_by_csdesk(path, ICS_MARK), overwrite=overwrite,
                  what="a calendar csdesk wrote")
    data = to_ics(rows, stamp=stamp, progress=progress, cancel=cancel)
    try:
        write_bytes(path, data)
    except OSError as exc:
        kept = "the previous file is kept" if path.exists() else "nothing was written"
        raise FileWriteError(f"the calendar was not written: {describe_os_error(exc, path)}; "
                             f"{kept}") from exc
    return path
