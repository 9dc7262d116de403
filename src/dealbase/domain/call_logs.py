"""Call logs (``/v1/callLogs``): the outcome of a phone call a telephony integration made.

Pipedrive keeps a call log as an activity of type ``call``: adding one makes that activity
(done, at the call's start, for the call's duration), or, given ``activity_id``, converts a
call activity into one, which keeps its deal, lead, person and organization. A recording
is a file of that activity (the blob store holds the audio), so ``/v1/files`` lists it and
``/v1/files/{id}/download`` gives back its bytes; deleting the call log deletes it, never
the activity.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from dealbase.clock import to_iso
from dealbase.domain import activities as activities_family
from dealbase.domain import permissions, service
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.entity import Entity, Field
from dealbase.domain.files import FILE, download_url
from dealbase.domain.goals import new_id
from dealbase.domain.ids import INTEGER, parse_uuid
from dealbase.domain.registry import ENTITIES, register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput, NotAllowed
from dealbase.store import repository as repo
from dealbase.store.tables import activities
from dealbase.store.tables import call_logs as table

Row = dict[str, Any]

OUTCOMES = ("connected", "no_answer", "left_message", "left_voicemail", "wrong_number", "busy")
LIMIT_MAX = 50  # the spec's upper limit for a page of call logs
REFUSED = "You don't have permission to change this resource."
LINKS = ("deal_id", "lead_id", "person_id", "org_id")
_REFS = (("deal_id", "deal"), ("lead_id", "lead"), ("person_id", "person"), ("org_id", "organization"))
_TEXTS = {"subject": 255, "from_phone_number": 255, "to_phone_number": 255, "note": 65_535}
_SECONDS = re.compile(r"[0-9]{1,9}")
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]00:?00)?")


def _bad(message: str) -> BadInput:
    return BadInput(message)


def _required(key: str) -> BadInput:
    return _bad(f'"{key}" is required.')


def _text(body: Row, key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f'"{key}" must be a string.')
    if len(value) > _TEXTS[key]:
        raise _bad(f'"{key}" must be at most {_TEXTS[key]} characters.')
    return value


def _int(body: Row, key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 2**31 - 1:
        raise _bad(f'"{key}" must be a positive integer.')
    return value


def _time(body: Row, key: str) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC (an ISO 8601 UTC time is taken too)."""
    value = body.get(key)
    if value is None:
        raise _required(key)
    found = _TIME.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise _bad(f'"{key}" must be a date and time in UTC (YYYY-MM-DD HH:MM:SS).')
    stamp = f"{found[1]} {found[2]}"
    try:
        datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise _bad(f'"{key}" must be a date and time in UTC (YYYY-MM-DD HH:MM:SS).') from None
    return stamp


def _seconds(start: str, end: str) -> int:
    fmt = "%Y-%m-%d %H:%M:%S"
    return int((datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).total_seconds())


def _duration(body: Row, start: str, end: str) -> str:
    """Seconds as digits; when not given, the time between start and end."""
    value = body.get("duration")
    if value is None:
        return str(_seconds(start, end))
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _SECONDS.fullmatch(value.strip()):
        raise _bad('"duration" must be a number of seconds.')
    return str(int(value.strip()))


def parse(unit, body: Any, caller: Row) -> Row:
    """A new call log's columns from a request body, checked (the references by the service)."""
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.")
    for key in ("to_phone_number", "outcome", "start_time", "end_time"):
        if body.get(key) in (None, ""):
            raise _required(key)
    if body["outcome"] not in OUTCOMES:
        raise _bad(f'"outcome" must be one of [{", ".join(OUTCOMES)}].')
    start, end = _time(body, "start_time"), _time(body, "end_time")
    if end < start:
        raise _bad('"end_time" must not be before "start_time".')
    values: Row = {key: _text(body, key) for key in _TEXTS}
    values.update(
        outcome=body["outcome"],
        start_time=start,
        end_time=end,
        duration=_duration(body, start, end),
        **{key: _int(body, key) for key in ("user_id", "activity_id", "deal_id", "person_id", "org_id")},
    )
    lead_id = body.get("lead_id")
    if lead_id is not None and (lead_id := parse_uuid(lead_id)) is None:
        raise _bad('"lead_id" must be a UUID.')
    values["lead_id"] = lead_id
    if values["deal_id"] is not None and lead_id is not None:
        raise _bad("A call log can be associated with either a deal or a lead, but not both at once.")
    if values["user_id"] is None:
        values["user_id"] = caller["id"]
    elif values["user_id"] != caller["id"]:
        # Only account settings access logs calls for others (an admin has it).
        permissions.check(unit, caller, [permissions.ACCOUNT_SETUP])
    return values


def _clock(seconds: int) -> str:
    """An activity's ``HH:MM`` duration (at most 99:59)."""
    minutes = min(-(-seconds // 60), 99 * 60 + 59)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _activity_values(values: Row) -> Row:
    """What the call's activity says of it: done, at the call's start, for its length."""
    made = {
        "type": "call",
        "done": True,
        "owner_id": values["user_id"],
        "due_date": values["start_time"][:10],
        "due_time": values["start_time"][11:16],
        "duration": _clock(int(values["duration"])),
    }
    if values["subject"] is not None:
        made["subject"] = values["subject"]
    if values["note"] is not None:
        made["note"] = values["note"]
    return made


def _call_activity(unit, activity_id: int) -> Row:
    row = repo.get(unit.conn, activities, unit.company_id, activity_id)
    if row is None or row["is_deleted"]:
        raise _bad(f"Validation failed: activity_id: Activity with id {activity_id} not found")
    if row["type"] != "call":
        raise _bad('"activity_id" must refer to an activity of type call.')
    # One call log per activity: the activity shows one call's recording.
    if repo.live_rows_in(unit.conn, table, unit.company_id, "activity_id", [activity_id]):
        raise _bad('"activity_id" refers to an activity that is already a call log.')
    return row


def rules(unit, values: Row, old: Row | None, stamp: str, given: Input) -> Row:
    if old is None:
        values["id"] = new_id()
    return values


def add(unit, values: Row) -> Row:
    """A new call log and its activity (made, or the one named converted); the call log."""
    activity_values = _activity_values(values)
    if values["activity_id"] is not None:
        activity = _call_activity(unit, values["activity_id"])
        values.update({key: activity[key] for key in LINKS})
        service.update(unit, ACTIVITY, activity, Input(activity_values, api="v1"))
    else:
        # The references are checked before the activity is made, so a bad one names the call's key.
        service.check_refs(unit, CALL_LOG, values, Input(values, api="v1"))
        activity_values.setdefault("subject", f"Call to {values['to_phone_number']}")
        activity_values.update({key: values[key] for key in LINKS})
        values["activity_id"] = service.create(unit, ACTIVITY, Input(activity_values, api="v1"))["id"]
    return service.create(unit, CALL_LOG, Input(values, api="v1"))


def live(unit, call_log_id: str) -> Row | None:
    """The company's call log of that id (deleted ones too: a delete answers 410 for them)."""
    if len(call_log_id) > 32:
        return None
    return repo.get(unit.conn, table, unit.company_id, call_log_id)


def recording(unit, row: Row) -> Row | None:
    """The call log's recording, the live file of it."""
    if row["file_id"] is None:
        return None
    found = repo.get(unit.conn, FILE.table, unit.company_id, row["file_id"])
    return None if found is None or found["is_deleted"] else found


def attach(unit, row: Row, made: Row) -> Row:
    """Record an uploaded recording (``made``: the file's name, size, type and blob key) as
    a file of the call's activity and of its items (those still there); the file."""
    links = {key: row[key] for key in LINKS}
    links["activity_id"] = row["activity_id"]
    for key, ref in (*_REFS, ("activity_id", "activity")):
        if links[key] is not None and not _alive(unit, ref, links[key]):
            links[key] = None
    file = service.create(unit, FILE, Input({**made, **links}, api="v1"))
    service.update(unit, CALL_LOG, row, Input({"file_id": file["id"]}, api="v1"))
    return file


def _alive(unit, ref: str, item_id: Any) -> bool:
    found = repo.get(unit.conn, ENTITIES[ref].table, unit.company_id, item_id)
    return found is not None and not found.get("is_deleted")


def delete(unit, row: Row, caller: Row) -> Row | None:
    """Delete a call log and its recording (the activity stays); the recording's file row,
    whose stored contents the caller removes once the write is committed."""
    if row["user_id"] != caller["id"] and not caller.get("is_admin"):
        raise NotAllowed(REFUSED)
    file = recording(unit, row)
    if file is not None:
        service.delete(unit, FILE, file)
    service.delete(unit, CALL_LOG, row)
    return file


def recordings_of(unit, activity_ids: list[int]) -> dict[int, Row]:
    """activity id → its call's recording as an activity shows it (``file``: id, name, link)."""
    logs = repo.live_rows_in(unit.conn, table, unit.company_id, "activity_id", activity_ids)
    found = unit.rows(FILE.table, (log["file_id"] for log in logs))
    shown: dict[int, Row] = {}
    for log in logs:
        file = found.get(log["file_id"])
        if file is not None and not file["is_deleted"]:
            shown[log["activity_id"]] = {
                "id": file["id"],
                "clean_name": file["name"],
                "url": download_url(unit, file["id"]),
            }
    return shown


activities_family.attached_files = recordings_of


def present(row: Row, has_recording: bool) -> Row:
    """The call log as Pipedrive shows it: ISO times, keys without a value left out."""
    item: Row = {
        "id": row["id"],
        "activity_id": row["activity_id"],
        "person_id": row["person_id"],
        "org_id": row["org_id"],
        "deal_id": row["deal_id"],
        "lead_id": row["lead_id"],
        "subject": row["subject"],
        "duration": row["duration"],
        "outcome": row["outcome"],
        "from_phone_number": row["from_phone_number"],
        "to_phone_number": row["to_phone_number"],
        "has_recording": has_recording,
        "start_time": to_iso(row["start_time"]),
        "end_time": to_iso(row["end_time"]),
        "user_id": row["user_id"],
        "company_id": row["company_id"],
        "note": row["note"],
    }
    return {key: value for key, value in item.items() if value is not None}


CALL_LOG = register(
    Entity(
        name="callLog",
        plural="callLogs",
        label="Call log",
        table=table,
        fields=[
            Field("id", "str", v2=None, writable=False),
            Field("user_id", "int", v2=None, ref="user"),
            Field("activity_id", "int", v2=None, ref="activity"),
            Field("deal_id", "int", v2=None, ref="deal"),
            Field("lead_id", "str", v2=None, ref="lead", max_length=36),
            Field("person_id", "int", v2=None, ref="person"),
            Field("org_id", "int", v2=None, ref="organization"),
            Field("subject", "str", v2=None),
            Field("duration", "str", v2=None),
            Field("outcome", "str", v2=None, choices=OUTCOMES),
            Field("from_phone_number", "str", v2=None),
            Field("to_phone_number", "str", v2=None),
            Field("start_time", "time", v2=None),
            Field("end_time", "time", v2=None),
            Field("note", "str", v2=None),
            Field("file_id", "int", v2=None, writable=False),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
            Field("add_time", "time", v2=None, writable=False),
            Field("update_time", "time", v2=None, writable=False),
        ],
        rules=rules,
    )
)
