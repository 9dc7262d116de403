"""Realistic deal rows for the benchmark, and the v2 rendering the baselines use.

Shared by ``dataset.py`` (bulk insert into the database dealbase serves) and
``baselines.py`` (the "fixed" app renders a generated deal; the "floor" app renders rows
read back from the same database). Only the standard library and orjson.

A stored deal row follows ``dealbase.store.tables.deals``: times are UTC text
``YYYY-MM-DD HH:MM:SS``, dates ``YYYY-MM-DD``, ``label_ids`` and ``custom_fields`` are
JSON text. ``custom_fields`` is keyed by 40-hex field keys and holds v2-shaped values
(semantics.md section 6.2): 22 fields of the usual types, some unset (``null``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

import orjson

# ---------------------------------------------------------------------------------------
# Vocabulary

FIRST_NAMES = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Marta",
    "Kenji",
    "Priya",
    "Tomás",
)
LAST_NAMES = (
    "Andersen",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Hansen",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Müller",
    "Nakamura",
    "Olsen",
    "Petrov",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ulrich",
    "Vogel",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Okafor",
    "Silva",
    "Novak",
    "Haddad",
)
ORG_PREFIXES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Aperture",
    "Massive",
    "Pied Piper",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Adventure",
    "Blue Yonder",
    "Litware",
    "Proseware",
    "Tailspin",
    "Woodgrove",
    "Coho",
    "Fourth Coffee",
    "Lucerne",
    "Margie",
    "Trey",
    "Wingtip",
)
ORG_SUFFIXES = (
    "Ltd",
    "GmbH",
    "Inc",
    "AB",
    "Oy",
    "SA",
    "BV",
    "LLC",
    "AS",
    "Group",
    "Holdings",
    "Logistics",
    "Labs",
    "Systems",
    "Foods",
    "Energy",
    "Retail",
    "Health",
    "Media",
    "Bank",
)
PRODUCTS = (
    "CRM seats",
    "Analytics add-on",
    "Support plan",
    "Onboarding package",
    "API tier",
    "Data migration",
    "Enterprise licence",
    "Training days",
    "Hardware bundle",
    "Consulting retainer",
    "Cloud hosting",
    "Security audit",
    "Mobile app",
    "Integrations",
)
DEAL_KINDS = ("renewal", "expansion", "new business", "upsell", "pilot", "tender", "RFP")
CURRENCIES = (("USD", 45), ("EUR", 30), ("GBP", 10), ("SEK", 5), ("CHF", 4), ("JPY", 3), ("BRL", 3))
LOST_REASONS = (
    "Price too high",
    "Went with a competitor",
    "No budget",
    "No decision",
    "Timing",
    "Missing feature",
    "Champion left",
)
CITIES = (
    ("Berlin", "Berlin", "DE", "10115"),
    ("Tallinn", "Harju", "EE", "10111"),
    ("London", "England", "GB", "EC1A 1BB"),
    ("Paris", "Île-de-France", "FR", "75001"),
    ("New York", "NY", "US", "10001"),
    ("Austin", "TX", "US", "73301"),
    ("Stockholm", "Stockholm", "SE", "111 20"),
    ("Madrid", "Madrid", "ES", "28001"),
    ("São Paulo", "SP", "BR", "01000-000"),
    ("Tokyo", "Tokyo", "JP", "100-0001"),
)
STREETS = (
    "Main Street",
    "Harbour Road",
    "Market Square",
    "Station Avenue",
    "Mill Lane",
    "King's Road",
    "Park Avenue",
    "Church Street",
    "Rue de Rivoli",
    "Hauptstraße",
)
WORDS = (
    "customer",
    "asked",
    "for",
    "a",
    "revised",
    "quote",
    "including",
    "the",
    "annual",
    "support",
    "plan",
    "and",
    "two",
    "extra",
    "training",
    "days",
    "procurement",
    "needs",
    "security",
    "review",
    "before",
    "signature",
    "follow",
    "up",
    "next",
    "week",
    "with",
    "legal",
    "budget",
    "approved",
    "Q3",
    "decision",
    "maker",
    "is",
    "CFO",
    "pilot",
    "went",
    "well",
    "competitor",
    "offered",
    "discount",
    "integration",
    "requirements",
)
TIMEZONES = (
    (318, "Europe/London"),
    (383, "Europe/Berlin"),
    (142, "America/New_York"),
    (205, "Asia/Tokyo"),
    (390, "Europe/Tallinn"),
)

# Stages of the benchmark pipeline: (name, deal_probability).
STAGES = (
    ("Qualified", 10),
    ("Contact made", 20),
    ("Demo scheduled", 40),
    ("Proposal sent", 60),
    ("Negotiation", 80),
    ("Contract sent", 90),
)
LABELS = (1, 2, 3, 4, 5)

# Deal custom fields: (name, field_type). Keys are 40-hex, derived from the name.
CUSTOM_FIELDS = (
    ("Lead source detail", "varchar"),
    ("Campaign", "varchar"),
    ("Notes summary", "text"),
    ("Seats", "double"),
    ("Discount percent", "double"),
    ("Setup fee", "monetary"),
    ("Annual budget", "monetary"),
    ("Region", "enum"),
    ("Segment", "enum"),
    ("Priority", "enum"),
    ("Products of interest", "set"),
    ("Competitors", "set"),
    ("Account manager", "user"),
    ("Partner organization", "org"),
    ("Champion", "people"),
    ("Contract start", "date"),
    ("Trial period", "daterange"),
    ("Preferred call time", "varchar"),  # dealbase has no time type yet
    ("Direct line", "phone"),
    ("Referral code", "varchar_auto"),
    ("Billing address", "address"),
    ("Win score", "double"),
)
# Options for enum / set fields: option ids are assigned 1..n per field in this order.
FIELD_OPTIONS = {
    "Region": ("EMEA", "North America", "LATAM", "APAC"),
    "Segment": ("SMB", "Mid-market", "Enterprise", "Public sector"),
    "Priority": ("Low", "Medium", "High", "Critical"),
    "Products of interest": PRODUCTS[:8],
    "Competitors": ("Salesforce", "HubSpot", "Zoho", "Freshsales", "Close", "None"),
}


def field_key(name: str, company_id: int = 1) -> str:
    """A stable 40-hex custom field key (Pipedrive's keys are random 40-hex strings)."""
    return hashlib.sha1(f"dealbase-bench:{company_id}:deal:{name}".encode()).hexdigest()


# ---------------------------------------------------------------------------------------
# Time helpers: the benchmark's clock is fixed so datasets are reproducible.

EPOCH_2023 = 1672531200  # 2023-01-01 00:00:00 UTC
SPAN = 3 * 365 * 86400


def _fmt(ts: int) -> str:
    import time as _t

    return _t.strftime("%Y-%m-%d %H:%M:%S", _t.gmtime(ts))


def _date(ts: int) -> str:
    return _fmt(ts)[:10]


# ---------------------------------------------------------------------------------------


@dataclass
class Context:
    """Ids the generated rows refer to (filled from the bootstrapped database)."""

    company_id: int = 1
    user_ids: list[int] = field(default_factory=lambda: [1])
    pipeline_id: int = 1
    stages: list[tuple[int, int]] = field(default_factory=lambda: [(i + 1, p) for i, (_, p) in enumerate(STAGES)])
    person_ids: list[int] = field(default_factory=lambda: list(range(1, 2001)))
    person_org: dict[int, int | None] = field(default_factory=dict)
    org_ids: list[int] = field(default_factory=lambda: list(range(1, 501)))
    label_ids: tuple[int, ...] = LABELS

    def __post_init__(self) -> None:
        self.field_keys = [(field_key(n, self.company_id), n, t) for n, t in CUSTOM_FIELDS]


def org_name(rng: random.Random) -> str:
    return f"{rng.choice(ORG_PREFIXES)} {rng.choice(ORG_SUFFIXES)}"


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def address(rng: random.Random) -> dict:
    city, area, country, postal = rng.choice(CITIES)
    number = str(rng.randint(1, 240))
    route = rng.choice(STREETS)
    formatted = f"{route} {number}, {postal} {city}, {country}"
    return {
        "value": formatted,
        "subpremise": None,
        "street_number": number,
        "route": route,
        "sublocality": None,
        "locality": city,
        "admin_area_level_1": area,
        "admin_area_level_2": None,
        "country": country,
        "postal_code": postal,
        "formatted_address": formatted,
    }


def _custom_value(rng: random.Random, name: str, ftype: str, ctx: Context, base_ts: int):
    if rng.random() < 0.15:  # about one field in seven is unset
        return None
    if ftype in ("varchar", "varchar_auto"):
        if name == "Campaign":
            return f"{rng.choice(('Spring', 'Summer', 'Autumn', 'Winter'))} {rng.randint(2023, 2026)} {rng.choice(('webinar', 'trade show', 'newsletter', 'paid search', 'partner referral'))}"
        if name == "Referral code":
            return f"REF-{rng.randint(100000, 999999)}"
        if name == "Preferred call time":
            h = rng.randint(8, 16)
            return f"{h:02d}:{rng.choice((0, 30)):02d}–{h + 1:02d}:00 ({rng.choice(TIMEZONES)[1]})"
        return (
            rng.choice(("Website form", "Inbound call", "Partner", "Cold outreach", "Event", "Referral"))
            + f" #{rng.randint(1, 999)}"
        )
    if ftype == "text":
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 40))).capitalize() + "."
    if ftype == "double":
        if name == "Seats":
            return rng.randint(1, 500)
        if name == "Discount percent":
            return round(rng.uniform(0, 35), 2)
        return round(rng.uniform(0, 100), 1)
    if ftype == "monetary":
        return {"value": round(rng.lognormvariate(8, 1.2), 2), "currency": rng.choice(("USD", "EUR", "GBP"))}
    if ftype == "enum":
        return rng.randint(1, len(FIELD_OPTIONS[name]))
    if ftype == "set":
        n = len(FIELD_OPTIONS[name])
        return sorted(rng.sample(range(1, n + 1), rng.randint(1, min(3, n))))
    if ftype == "user":
        return rng.choice(ctx.user_ids)
    if ftype == "org":
        return rng.choice(ctx.org_ids) if ctx.org_ids else None
    if ftype == "people":
        return rng.choice(ctx.person_ids) if ctx.person_ids else None
    if ftype == "date":
        return _date(base_ts + rng.randint(0, 200) * 86400)
    if ftype == "daterange":
        start = base_ts + rng.randint(0, 60) * 86400
        return {"value": _date(start), "until": _date(start + rng.randint(7, 45) * 86400)}
    if ftype == "time":
        tz_id, tz_name = rng.choice(TIMEZONES)
        return {
            "value": f"{rng.randint(8, 17):02d}:{rng.choice((0, 15, 30, 45)):02d}:00",
            "timezone_id": tz_id,
            "timezone_name": tz_name,
        }
    if ftype == "phone":
        return f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)} {rng.randint(100, 999)}"
    if ftype == "address":
        return address(rng)
    raise ValueError(ftype)


# Column order of a generated deal row (must exist in dealbase.store.tables.deals).
DEAL_COLUMNS = (
    "company_id",
    "title",
    "creator_user_id",
    "owner_id",
    "person_id",
    "org_id",
    "pipeline_id",
    "stage_id",
    "value",
    "currency",
    "status",
    "probability",
    "lost_reason",
    "visible_to",
    "close_time",
    "won_time",
    "first_won_time",
    "lost_time",
    "expected_close_date",
    "stage_change_time",
    "label_ids",
    "origin",
    "origin_id",
    "channel",
    "channel_id",
    "custom_fields",
    "custom_fields_version",
    "is_archived",
    "archive_time",
    "is_deleted",
    "add_time",
    "update_time",
)

_CURRENCY_POP = [c for c, w in CURRENCIES for _ in range(w)]


def make_deal(rng: random.Random, ctx: Context) -> dict:
    """One realistic deal row, keyed by column name (values as stored)."""
    add_ts = EPOCH_2023 + rng.randrange(SPAN)
    upd_ts = add_ts + rng.randrange(0, 90 * 86400)
    stage_id, stage_prob = rng.choice(ctx.stages)
    person_id = rng.choice(ctx.person_ids) if ctx.person_ids and rng.random() < 0.9 else None
    org_id = ctx.person_org.get(person_id) if person_id else None
    if org_id is None and ctx.org_ids and rng.random() < 0.6:
        org_id = rng.choice(ctx.org_ids)
    r = rng.random()
    status = "open" if r < 0.7 else ("won" if r < 0.9 else "lost")
    close_ts = upd_ts if status != "open" else None
    owner = rng.choice(ctx.user_ids)
    kind = rng.choice(DEAL_KINDS)
    product = rng.choice(PRODUCTS)
    title = f"{org_name(rng)} – {product} {kind}"
    labels = sorted(rng.sample(ctx.label_ids, rng.randint(0, 2))) if ctx.label_ids else []
    custom = {key: _custom_value(rng, name, ftype, ctx, add_ts) for key, name, ftype in ctx.field_keys}
    return {
        "company_id": ctx.company_id,
        "title": title,
        "creator_user_id": owner,
        "owner_id": owner,
        "person_id": person_id,
        "org_id": org_id,
        "pipeline_id": ctx.pipeline_id,
        "stage_id": stage_id,
        "value": float(round(rng.lognormvariate(9, 1.3), -1) if rng.random() < 0.95 else 0),
        "currency": rng.choice(_CURRENCY_POP),
        "status": status,
        "probability": float(stage_prob) if rng.random() < 0.5 else None,
        "lost_reason": rng.choice(LOST_REASONS) if status == "lost" else None,
        "visible_to": 3,
        "close_time": _fmt(close_ts) if close_ts else None,
        "won_time": _fmt(close_ts) if status == "won" else None,
        "first_won_time": _fmt(close_ts) if status == "won" else None,
        "lost_time": _fmt(close_ts) if status == "lost" else None,
        "expected_close_date": _date(add_ts + rng.randint(14, 180) * 86400) if rng.random() < 0.8 else None,
        "stage_change_time": _fmt(add_ts + rng.randrange(0, max(1, upd_ts - add_ts))),
        "label_ids": orjson.dumps(labels).decode(),
        "origin": rng.choice(("API", "ManuallyCreated", "Import", "WebForms")),
        "origin_id": None,
        "channel": rng.choice((None, None, 52, 53)),
        "channel_id": None,
        "custom_fields": orjson.dumps(custom).decode(),
        # As the server writes it: every field, null when unset, stamped with the company's
        # fields version (0: the builder inserts the definitions without changing it).
        "custom_fields_version": 0,
        "is_archived": False,
        "archive_time": None,
        "is_deleted": False,
        "add_time": _fmt(add_ts),
        "update_time": _fmt(upd_ts),
    }


# ---------------------------------------------------------------------------------------
# v2 rendering (what the baselines serve). Same work as a minimal presenter: slice times to
# RFC 3339, booleans, parse the stored JSON blobs, build the dict; orjson does the rest.

V2_COLUMNS = (
    "id",
    "title",
    "creator_user_id",
    "owner_id",
    "value",
    "person_id",
    "org_id",
    "stage_id",
    "pipeline_id",
    "currency",
    "archive_time",
    "add_time",
    "update_time",
    "stage_change_time",
    "status",
    "is_archived",
    "is_deleted",
    "probability",
    "lost_reason",
    "visible_to",
    "close_time",
    "won_time",
    "lost_time",
    "expected_close_date",
    "label_ids",
    "origin",
    "origin_id",
    "channel",
    "channel_id",
    "custom_fields",
)
_TIME_COLS = frozenset(
    ("archive_time", "add_time", "update_time", "stage_change_time", "close_time", "won_time", "lost_time")
)
_BOOL_COLS = frozenset(("is_archived", "is_deleted"))
_JSON_COLS = frozenset(("label_ids", "custom_fields"))


def v2_time(v: str | None) -> str | None:
    return f"{v[:10]}T{v[11:19]}Z" if v else None


def make_v2_renderer(columns: tuple[str, ...], fragment: bool = False):
    """A function row-tuple -> v2 dict for rows selected with ``columns`` in that order.

    ``fragment=True`` passes stored JSON through as ``orjson.Fragment`` instead of parsing.
    """
    loads = orjson.loads
    frag = orjson.Fragment
    plan = []
    for i, c in enumerate(columns):
        if c in _TIME_COLS:
            plan.append((c, i, 1))
        elif c in _BOOL_COLS:
            plan.append((c, i, 2))
        elif c in _JSON_COLS:
            plan.append((c, i, 3))
        else:
            plan.append((c, i, 0))

    def render(row):
        out = {}
        for c, i, kind in plan:
            v = row[i]
            if kind == 0:
                out[c] = v
            elif kind == 1:
                out[c] = f"{v[:10]}T{v[11:19]}Z" if v else None
            elif kind == 2:
                out[c] = bool(v)
            else:
                out[c] = (frag(v) if fragment else loads(v)) if v else ({} if c == "custom_fields" else [])
        return out

    return render


def v2_from_row_dict(deal_id: int, row: dict) -> dict:
    """v2 dict of a generated row (for the fixed baseline)."""
    cols = tuple(c for c in V2_COLUMNS)
    full = dict(row, id=deal_id)
    return make_v2_renderer(cols)(tuple(full.get(c) for c in cols))
