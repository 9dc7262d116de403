"""The schema, as SQLAlchemy Core tables. Migrations in ``migrations/`` create it.

Timestamps are stored as UTC text ``YYYY-MM-DD HH:MM:SS`` and dates as ``YYYY-MM-DD``:
they sort and compare correctly as text on every backend, and both API versions render
them by slicing rather than parsing. JSON values (label ids, e-mail lists, custom
fields) are stored as JSON text.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy import Integer as _Integer
from sqlalchemy.sql import operators


class Integer(_Integer):
    """A 32-bit integer column whose comparisons bind their values as 64-bit.

    An id from a request (a path, a filter, a body reference) can be any size. PostgreSQL
    casts a bound value to the column's type and fails on one past 2**31 - 1, where SQLite
    just finds no row; bound as BIGINT it compares, matches nothing, and both backends answer
    as for any unknown id. Writes still bind as the column's own type.
    """

    def coerce_compared_value(self, op, value):
        return BigInteger() if operators.is_comparison(op) else self


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TIME = String(19)
DATE = String(10)


def _company() -> Column:
    return Column("company_id", Integer, ForeignKey("companies.id"), nullable=False)


def _stamps() -> list[Column]:
    return [
        Column("add_time", TIME, nullable=False),
        Column("update_time", TIME, nullable=True),
    ]


def _counters(*extra: Column) -> list[Column]:
    """What other families keep up to date on a deal, person or organization (``domain/counters.py``).

    Stored, not counted on read: a v1 list page shows them for every row.
    """
    return [
        Column("activities_count", Integer, nullable=False, server_default="0"),
        Column("done_activities_count", Integer, nullable=False, server_default="0"),
        Column("undone_activities_count", Integer, nullable=False, server_default="0"),
        Column("notes_count", Integer, nullable=False, server_default="0"),
        Column("files_count", Integer, nullable=False, server_default="0"),
        Column("followers_count", Integer, nullable=False, server_default="0"),
        Column("next_activity_id", Integer, nullable=True),
        Column("next_activity_date", DATE, nullable=True),
        Column("next_activity_time", String(8), nullable=True),
        Column("last_activity_id", Integer, nullable=True),
        Column("last_activity_date", DATE, nullable=True),
        # E-mail (``domain/mail.py``).
        Column("email_messages_count", Integer, nullable=False, server_default="0"),
        Column("last_incoming_mail_time", TIME, nullable=True),
        Column("last_outgoing_mail_time", TIME, nullable=True),
        *extra,
    ]


companies = Table(
    "companies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("domain", String(255), nullable=False),
    Column("country", String(2), nullable=True),
    Column("industry", String(255), nullable=True),
    # The plan and seats its rate limits follow (``api/rate_limits.py``).
    Column("plan", String(32), nullable=False, server_default="lite"),
    Column("seats", Integer, nullable=False, server_default="1"),
    # Bumped by every write to the company's field definitions: caches of them key on it.
    Column("fields_version", Integer, nullable=False, server_default="0"),
    # Bumped by every change to the company's webhooks: each process caches them on it.
    Column("webhooks_version", Integer, nullable=False, server_default="0"),
    # Bumped by every write to the company's users and API tokens: the token cache checks it.
    Column("users_version", Integer, nullable=False, server_default="0"),
    # The local part of its Smart BCC address (``<mail_name>@<DEALBASE_SMTP_DOMAIN>``): its
    # domain made fit for an address, unique (``store/companies.py: mail_name_for``).
    Column("mail_name", String(64), nullable=True),
    Column("add_time", TIME, nullable=False),
    # The company's clock (``domain/company_clock.py``): its time ``clock_now`` when set at
    # the real time ``clock_set_at``, then frozen or running on; both null: real time.
    Column("clock_set_at", TIME, nullable=True),
    Column("clock_now", TIME, nullable=True),
    Column("clock_frozen", Boolean, nullable=False, server_default="0"),
    # SQLite: the largest id ever given kept (``sqlite_sequence``), so a deleted company's id
    # never comes again (migration 0025).
    sqlite_autoincrement=True,
)
Index(None, companies.c.mail_name, unique=True)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("email", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False, server_default="0"),
    Column("active_flag", Boolean, nullable=False, server_default="1"),
    Column("default_currency", String(16), nullable=False, server_default="USD"),
    Column("locale", String(16), nullable=False, server_default="en_US"),
    Column("lang", Integer, nullable=False, server_default="1"),
    Column("timezone_name", String(64), nullable=False, server_default="UTC"),
    Column("timezone_offset", String(8), nullable=False, server_default="+00:00"),
    Column("phone", String(64), nullable=True),
    Column("icon_url", String(1024), nullable=True),
    Column("last_login", TIME, nullable=True),
    Column("created", TIME, nullable=False),
    Column("modified", TIME, nullable=True),
    Index(None, "company_id", "id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token", String(128), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    _company(),
    Column("add_time", TIME, nullable=False),
)

pipelines = Table(
    "pipelines",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("order_nr", Integer, nullable=False, server_default="0"),
    Column("is_deal_probability_enabled", Boolean, nullable=False, server_default="0"),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
)

stages = Table(
    "stages",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("pipeline_id", Integer, ForeignKey("pipelines.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("order_nr", Integer, nullable=False, server_default="0"),
    Column("deal_probability", Integer, nullable=False, server_default="100"),
    Column("is_deal_rot_enabled", Boolean, nullable=False, server_default="0"),
    Column("days_to_rotten", Integer, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
    Index(None, "pipeline_id", "order_nr"),
)

ADDRESS_PARTS = (
    "subpremise",
    "street_number",
    "route",
    "sublocality",
    "locality",
    "admin_area_level_1",
    "admin_area_level_2",
    "country",
    "postal_code",
    "formatted_address",
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("visible_to", Integer, nullable=False, server_default="3"),
    Column("label_ids", Text, nullable=True),
    Column("address", String(512), nullable=True),
    *[Column(f"address_{part}", String(255), nullable=True) for part in ADDRESS_PARTS],
    Column("custom_fields", Text, nullable=True),
    # The company's fields_version when custom_fields was last written (see domain/field_defs.py).
    Column("custom_fields_version", Integer, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_counters(),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
    Index(None, "company_id", "owner_id"),
    Index(None, "company_id", "visible_to", "owner_id", "id"),  # a regular user's sight (store/visibility.py)
    Index(None, "company_id", "update_time"),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("first_name", String(255), nullable=True),
    Column("last_name", String(255), nullable=True),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("org_id", Integer, ForeignKey("organizations.id"), nullable=True),
    Column("emails", Text, nullable=True),
    Column("phones", Text, nullable=True),
    Column("visible_to", Integer, nullable=False, server_default="3"),
    Column("label_ids", Text, nullable=True),
    Column("custom_fields", Text, nullable=True),
    # The company's fields_version when custom_fields was last written (see domain/field_defs.py).
    Column("custom_fields_version", Integer, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_counters(),
    *_stamps(),
    # The live picture (``pictures``), set by POST /persons/{id}/picture.
    Column("picture_id", Integer, nullable=True),
    Index(None, "company_id", "is_deleted", "id"),
    Index(None, "company_id", "org_id", "is_deleted"),
    Index(None, "company_id", "owner_id"),
    Index(None, "company_id", "visible_to", "owner_id", "id"),  # a regular user's sight (store/visibility.py)
    Index(None, "company_id", "update_time"),
)

deals = Table(
    "deals",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("title", String(255), nullable=False),
    Column("creator_user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=True),
    Column("org_id", Integer, ForeignKey("organizations.id"), nullable=True),
    Column("pipeline_id", Integer, ForeignKey("pipelines.id"), nullable=False),
    Column("stage_id", Integer, ForeignKey("stages.id"), nullable=False),
    Column("value", Float, nullable=False, server_default="0"),
    Column("currency", String(16), nullable=False),
    Column("status", String(8), nullable=False, server_default="open"),
    Column("probability", Float, nullable=True),
    Column("lost_reason", String(255), nullable=True),
    Column("visible_to", Integer, nullable=False, server_default="3"),
    Column("close_time", TIME, nullable=True),
    Column("won_time", TIME, nullable=True),
    Column("first_won_time", TIME, nullable=True),
    Column("lost_time", TIME, nullable=True),
    Column("expected_close_date", DATE, nullable=True),
    Column("stage_change_time", TIME, nullable=True),
    Column("label_ids", Text, nullable=True),
    Column("origin", String(64), nullable=False, server_default="API"),
    Column("origin_id", String(255), nullable=True),
    Column("channel", Integer, nullable=True),
    Column("channel_id", String(255), nullable=True),
    Column("custom_fields", Text, nullable=True),
    # The company's fields_version when custom_fields was last written (see domain/field_defs.py).
    Column("custom_fields_version", Integer, nullable=True),
    Column("is_archived", Boolean, nullable=False, server_default="0"),
    Column("archive_time", TIME, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_counters(
        Column("products_count", Integer, nullable=False, server_default="0"),
        Column("participants_count", Integer, nullable=False, server_default="0"),
        Column("next_activity_subject", String(255), nullable=True),
        Column("next_activity_type", String(255), nullable=True),
        Column("next_activity_duration", String(8), nullable=True),
        Column("next_activity_note", Text, nullable=True),
        Column("source_lead_id", String(36), nullable=True),
    ),
    # Revenue from the deal's products (``domain/deal_products.py``); null without them.
    Column("arr", Float, nullable=True),
    Column("mrr", Float, nullable=True),
    Column("acv", Float, nullable=True),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "is_archived", "id"),
    Index(None, "company_id", "stage_id", "id"),
    Index(None, "company_id", "pipeline_id", "id"),
    Index(None, "company_id", "person_id", "is_deleted", "status"),
    Index(None, "company_id", "org_id", "is_deleted", "status"),
    Index(None, "company_id", "owner_id", "id"),
    Index(None, "company_id", "visible_to", "owner_id", "id"),  # a regular user's sight (store/visibility.py)
    Index(None, "company_id", "update_time"),
)

activity_types = Table(
    "activity_types",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("key_string", String(255), nullable=False),
    Column("icon_key", String(32), nullable=False),
    Column("color", String(6), nullable=True),
    Column("order_nr", Integer, nullable=False, server_default="0"),
    Column("is_custom_flag", Boolean, nullable=False, server_default="1"),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "key_string"),
    Index(None, "company_id", "is_deleted", "order_nr"),
)

# One row per write, in the write's transaction: the base of changelogs, recents,
# flow and the webhook outbox. ``changes`` maps each changed column to [old, new].
change_events = Table(
    "change_events",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("entity", String(32), nullable=False),
    # The row's id: ``entity_id`` for integer ids, ``entity_uuid`` for UUID ids (leads…).
    Column("entity_id", Integer, nullable=True),
    Column("entity_uuid", String(36), nullable=True),
    Column("action", String(16), nullable=False),
    Column("user_id", Integer, nullable=True),
    Column("change_source", String(16), nullable=False, server_default="api"),
    Column("time", TIME, nullable=False),
    Column("changes", Text, nullable=True),
    # The User-Agent of the request that wrote it (changelogs' change_source_user_agent).
    Column("change_source_user_agent", String(255), nullable=True),
    # Written by a bulk operation (v1 ``DELETE /<items>?ids=``): changelogs' is_bulk_update_flag.
    Column("is_bulk_update", Boolean, nullable=False, server_default="0"),
    Index(None, "company_id", "entity", "entity_id", "id"),
    Index(None, "company_id", "entity", "entity_uuid", "id"),
    Index(None, "company_id", "time"),
    Index(None, "company_id", "id"),
)

# Custom field definitions of deals, persons and organizations (system fields are derived
# from the entity declarations, not stored). ``id`` is the v1 id, per company; ``key`` is
# the 40-hex code both versions address the field by. ``options`` (enum/set) is a JSON list
# of ``{id, label}``; ``settings`` keeps v2's ui_visibility / important_fields /
# required_fields objects as they were given.
fields = Table(
    "fields",
    metadata,
    # Ids start at 1000: the ids below belong to the system fields (``domain/fields.py``).
    Column("id", Integer, Identity(start=1000), primary_key=True),
    _company(),
    Column("entity_type", String(32), nullable=False),
    Column("key", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("field_type", String(32), nullable=False),
    Column("options", Text, nullable=True),
    Column("order_nr", Integer, nullable=False, server_default="0"),
    Column("mandatory_flag", Boolean, nullable=False, server_default="0"),
    Column("add_visible_flag", Boolean, nullable=False, server_default="1"),
    Column("details_visible_flag", Boolean, nullable=False, server_default="1"),
    Column("important_flag", Boolean, nullable=False, server_default="0"),
    Column("bulk_edit_allowed", Boolean, nullable=False, server_default="1"),
    Column("searchable_flag", Boolean, nullable=False, server_default="0"),
    Column("filtering_allowed", Boolean, nullable=False, server_default="1"),
    Column("sortable_flag", Boolean, nullable=False, server_default="1"),
    Column("settings", Text, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    Column("created_by_user_id", Integer, nullable=True),
    Column("last_updated_by_user_id", Integer, nullable=True),
    *_stamps(),
    Index(None, "company_id", "key", unique=True),
    Index(None, "company_id", "entity_type", "is_deleted"),
    # SQLite: a kept sequence (``sqlite_sequence``), which the migration starts at 1000.
    sqlite_autoincrement=True,
)


# -- leads -------------------------------------------------------------------------------
# Leads, their labels and the lead ↔ deal conversion jobs have UUID ids (``domain/ids.py``).

lead_labels = Table(
    "lead_labels",
    metadata,
    Column("id", String(36), primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("color", String(16), nullable=False),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
)

leads = Table(
    "leads",
    metadata,
    Column("id", String(36), primary_key=True),
    _company(),
    Column("title", String(255), nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("creator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=True),
    Column("org_id", Integer, ForeignKey("organizations.id"), nullable=True),
    # JSON list of lead label ids.
    Column("label_ids", Text, nullable=True),
    # JSON ``{"amount": 999, "currency": "USD"}`` or null.
    Column("value", Text, nullable=True),
    Column("expected_close_date", DATE, nullable=True),
    Column("visible_to", Integer, nullable=False, server_default="3"),
    Column("is_archived", Boolean, nullable=False, server_default="0"),
    Column("was_seen", Boolean, nullable=False, server_default="0"),
    Column("origin", String(64), nullable=False, server_default="API"),
    Column("origin_id", String(255), nullable=True),
    Column("source_name", String(64), nullable=False, server_default="API"),
    Column("channel", Integer, nullable=True),
    Column("channel_id", String(255), nullable=True),
    Column("source_deal_id", Integer, nullable=True),
    Column("next_activity_id", Integer, nullable=True),
    Column("custom_fields", Text, nullable=True),
    # The company's fields_version when custom_fields was last written (see domain/field_defs.py).
    Column("custom_fields_version", Integer, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "is_archived", "id"),
    Index(None, "company_id", "person_id"),
    Index(None, "company_id", "org_id"),
    Index(None, "company_id", "owner_id"),
    Index(None, "company_id", "visible_to", "owner_id", "id"),  # a regular user's sight (store/visibility.py)
)

# One row per conversion (``kind``: ``lead_to_deal`` or ``deal_to_lead``): its source, its
# status and, once completed, what it made.
lead_conversions = Table(
    "lead_conversions",
    metadata,
    Column("id", String(36), primary_key=True),
    _company(),
    Column("kind", String(16), nullable=False),
    Column("lead_id", String(36), nullable=True),
    Column("deal_id", Integer, nullable=True),
    Column("status", String(16), nullable=False),
    *_stamps(),
)

# -- notes and files -------------------------------------------------------------------

# Notes: HTML content (sanitised on write) about deals, persons, organizations, leads,
# projects or tasks. Lead, project and task ids are stored as given.
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("content", Text, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("last_update_user_id", Integer, nullable=True),
    Column("deal_id", Integer, nullable=True),
    Column("person_id", Integer, nullable=True),
    Column("org_id", Integer, nullable=True),
    Column("lead_id", String(36), nullable=True),
    Column("project_id", Integer, nullable=True),
    Column("task_id", Integer, nullable=True),
    *[
        Column(f"pinned_to_{item}_flag", Boolean, nullable=False, server_default="0")
        for item in ("deal", "person", "organization", "lead", "project", "task")
    ],
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
    Index(None, "company_id", "deal_id", "is_deleted"),
    Index(None, "company_id", "person_id", "is_deleted"),
    Index(None, "company_id", "org_id", "is_deleted"),
    Index(None, "company_id", "lead_id"),
    Index(None, "company_id", "update_time"),
)

# Comments on notes: addressed by ``uuid`` in the API.
note_comments = Table(
    "note_comments",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("uuid", String(36), nullable=False),
    Column("note_id", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("updater_id", Integer, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "uuid", unique=True),
    Index(None, "company_id", "note_id", "is_deleted", "id"),
)

# Files attached to items. Uploaded contents live in the blob store under ``blob_key``
# (``store/blobs.py``); remote (Google Drive) files have a ``remote_location`` instead.
files = Table(
    "files",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("user_id", Integer, nullable=False),
    Column("deal_id", Integer, nullable=True),
    Column("person_id", Integer, nullable=True),
    Column("org_id", Integer, nullable=True),
    Column("product_id", Integer, nullable=True),
    Column("activity_id", Integer, nullable=True),
    Column("note_id", Integer, nullable=True),
    Column("lead_id", String(36), nullable=True),
    Column("name", String(255), nullable=True),
    Column("file_name", String(512), nullable=True),
    Column("file_type", String(32), nullable=True),
    Column("file_size", Integer, nullable=False, server_default="0"),
    Column("content_type", String(255), nullable=True),
    Column("description", Text, nullable=True),
    Column("inline_flag", Boolean, nullable=False, server_default="0"),
    Column("remote_location", String(32), nullable=True),
    Column("remote_id", String(255), nullable=True),
    Column("blob_key", String(64), nullable=True),
    # An e-mail attachment's message (``domain/mail_ingest.py``).
    Column("mail_message_id", Integer, ForeignKey("mail_messages.id"), nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
    Index(None, "company_id", "deal_id", "is_deleted"),
    Index(None, "company_id", "person_id", "is_deleted"),
    Index(None, "company_id", "org_id", "is_deleted"),
    Index(None, "company_id", "product_id", "is_deleted"),
)

# Pictures of items (persons): the uploaded image in the blob store, with the crop asked for.
pictures = Table(
    "pictures",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("item_type", String(32), nullable=False),
    Column("item_id", Integer, nullable=False),
    Column("blob_key", String(64), nullable=True),
    Column("content_type", String(255), nullable=True),
    Column("file_size", Integer, nullable=False, server_default="0"),
    Column("crop", Text, nullable=True),
    Column("added_by_user_id", Integer, nullable=False),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "item_type", "item_id"),
)


# -- activities ---------------------------------------------------------------------------
# Calls, meetings, tasks… of the company's users, on deals, leads, persons and
# organizations. ``type`` is an activity type's ``key_string``; ``participants`` and
# ``attendees`` are JSON lists in v2's shape; ``location`` is the address text with its
# parts beside it, as organizations keep theirs. ``due_time`` / ``duration`` are ``HH:MM``.
activities = Table(
    "activities",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("subject", String(255), nullable=False),
    Column("type", String(255), nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("creator_user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("update_user_id", Integer, nullable=True),
    Column("deal_id", Integer, nullable=True),
    Column("lead_id", String(36), nullable=True),
    Column("person_id", Integer, nullable=True),
    Column("org_id", Integer, nullable=True),
    Column("project_id", Integer, nullable=True),
    Column("due_date", DATE, nullable=False),
    Column("due_time", String(5), nullable=True),
    Column("duration", String(5), nullable=True),
    Column("busy", Boolean, nullable=False, server_default="0"),
    Column("done", Boolean, nullable=False, server_default="0"),
    Column("marked_as_done_time", TIME, nullable=True),
    Column("note", Text, nullable=True),
    Column("public_description", Text, nullable=True),
    Column("location", String(512), nullable=True),
    *[Column(f"location_{part}", String(255), nullable=True) for part in ADDRESS_PARTS],
    Column("priority", Integer, nullable=True),
    Column("participants", Text, nullable=True),
    Column("attendees", Text, nullable=True),
    Column("conference_meeting_client", String(255), nullable=True),
    Column("conference_meeting_url", String(1024), nullable=True),
    Column("conference_meeting_id", String(255), nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
    Index(None, "company_id", "owner_id", "id"),
    Index(None, "company_id", "deal_id", "is_deleted"),
    Index(None, "company_id", "person_id", "is_deleted"),
    Index(None, "company_id", "org_id", "is_deleted"),
    Index(None, "company_id", "lead_id"),
    Index(None, "company_id", "update_time"),
    Index(None, "company_id", "due_date"),
)


# -- the people around an item: followers and deal participants --------------------------

# Users following a deal, person, organization, product or user (``object_type`` is the
# entity name). One row per follower; unfollowing deletes it.
followers = Table(
    "followers",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("object_type", String(32), nullable=False),
    Column("object_id", Integer, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("add_time", TIME, nullable=False),
    Index(None, "company_id", "object_type", "object_id", "user_id", unique=True),
    Index(None, "company_id", "user_id"),
)

# Persons taking part in a deal. The deal's own person is one of them. Removing a
# participant clears ``active_flag``.
deal_participants = Table(
    "deal_participants",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("deal_id", Integer, ForeignKey("deals.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("added_by_user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("add_time", TIME, nullable=False),
    Column("active_flag", Boolean, nullable=False, server_default="1"),
    Index(None, "company_id", "deal_id", "active_flag", "id"),
    Index(None, "company_id", "person_id", "active_flag"),
)

# The history of both: who was added or removed, when and by whom (the followers and
# participants changelogs). ``kind`` is ``follower`` (subject: a user) or ``participant``
# (subject: a person); ``action`` is ``added`` or ``removed``.
people_changes = Table(
    "people_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("kind", String(16), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", Integer, nullable=False),
    Column("subject_id", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor_user_id", Integer, nullable=True),
    Column("time", TIME, nullable=False),
    Index(None, "company_id", "kind", "object_type", "object_id", "id"),
)

# -- products and deal products ----------------------------------------------------------

# The company's catalogue. ``category`` is an option id of the product category field;
# prices (one per currency) live in ``product_prices``.
products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("code", String(255), nullable=True),
    Column("description", Text, nullable=True),
    Column("unit", String(255), nullable=True),
    Column("tax", Float, nullable=False, server_default="0"),
    Column("category", Integer, nullable=True),
    Column("is_linkable", Boolean, nullable=False, server_default="1"),
    Column("visible_to", Integer, nullable=False, server_default="3"),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("billing_frequency", String(16), nullable=False, server_default="one-time"),
    Column("billing_frequency_cycles", Integer, nullable=True),
    Column("custom_fields", Text, nullable=True),
    # The company's fields_version when custom_fields was last written (see domain/field_defs.py).
    Column("custom_fields_version", Integer, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
    Index(None, "company_id", "owner_id"),
    Index(None, "company_id", "visible_to", "owner_id", "id"),  # a regular user's sight (store/visibility.py)
    Index(None, "company_id", "update_time"),
)

product_variations = Table(
    "product_variations",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("name", String(255), nullable=False),
    *_stamps(),
    Index(None, "company_id", "product_id", "id"),
)

# One row per product (variation_id null) or variation, and currency.
product_prices = Table(
    "product_prices",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("variation_id", Integer, ForeignKey("product_variations.id"), nullable=True),
    Column("currency", String(16), nullable=False),
    Column("price", Float, nullable=False, server_default="0"),
    Column("cost", Float, nullable=False, server_default="0"),
    Column("direct_cost", Float, nullable=True),
    Column("notes", Text, nullable=True),
    Index(None, "company_id", "product_id", "variation_id"),
)

# A product's one image; its bytes are in the blob store under ``blob_key``.
product_images = Table(
    "product_images",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("blob_key", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("mime_type", String(255), nullable=False),
    Column("size", Integer, nullable=False),
    *_stamps(),
    Index(None, "company_id", "product_id"),
)

# A product attached to a deal. ``sum`` is stored (computed on write from price, quantity,
# discount and tax) so that lists and the deal's value read it as it is.
deal_products = Table(
    "deal_products",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("deal_id", Integer, ForeignKey("deals.id"), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("product_variation_id", Integer, nullable=True),
    Column("item_price", Float, nullable=False, server_default="0"),
    Column("quantity", Float, nullable=False, server_default="1"),
    Column("discount", Float, nullable=False, server_default="0"),
    Column("discount_type", String(16), nullable=False, server_default="percentage"),
    Column("tax", Float, nullable=False, server_default="0"),
    Column("tax_method", String(16), nullable=False, server_default="exclusive"),
    Column("is_enabled", Boolean, nullable=False, server_default="1"),
    Column("comments", Text, nullable=True),
    Column("currency", String(16), nullable=False),
    Column("sum", Float, nullable=False, server_default="0"),
    Column("billing_frequency", String(16), nullable=False, server_default="one-time"),
    Column("billing_frequency_cycles", Integer, nullable=True),
    Column("billing_start_date", DATE, nullable=True),
    Column("order_nr", Integer, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "deal_id", "id"),
    Index(None, "company_id", "product_id"),
)

# v2 additional discounts on a deal; ids are UUIDs, as Pipedrive's are.
deal_discounts = Table(
    "deal_discounts",
    metadata,
    Column("id", String(36), primary_key=True),
    _company(),
    Column("deal_id", Integer, ForeignKey("deals.id"), nullable=False),
    Column("description", String(255), nullable=False),
    Column("amount", Float, nullable=False),
    Column("type", String(16), nullable=False),
    # Creation order (ids are random): discounts apply one after another in it.
    Column("order_nr", Integer, nullable=False, server_default="0"),
    Column("created_by", Integer, nullable=False),
    Column("updated_by", Integer, nullable=False),
    *_stamps(),
    Index(None, "company_id", "deal_id"),
)

deal_installments = Table(
    "deal_installments",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("deal_id", Integer, ForeignKey("deals.id"), nullable=False),
    Column("description", String(255), nullable=False),
    Column("amount", Float, nullable=False),
    Column("billing_date", DATE, nullable=False),
    *_stamps(),
    Index(None, "company_id", "deal_id", "id"),
)


# -- statistics and goals ----------------------------------------------------------------

# Every stage a deal entered: on create (``from_stage_id`` null) and on each stage change,
# with the pipelines of the stages left and entered. The pipeline statistics and the
# ``deals_progressed`` goals read it; ``time`` is the deal's ``stage_change_time`` then.
deal_stage_moves = Table(
    "deal_stage_moves",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("deal_id", Integer, ForeignKey("deals.id"), nullable=False),
    Column("pipeline_id", Integer, nullable=False),
    Column("from_pipeline_id", Integer, nullable=True),
    Column("from_stage_id", Integer, nullable=True),
    Column("to_stage_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=True),
    Column("time", TIME, nullable=False),
    Index(None, "company_id", "pipeline_id", "time"),
    Index(None, "company_id", "to_stage_id", "time"),
    Index(None, "company_id", "deal_id", "id"),
)

# Goals: ``id`` is 32 hex characters (Pipedrive's goal ids are strings). ``params`` is the
# type's parameters as JSON (``pipeline_id`` / ``activity_type_id`` lists or null,
# ``stage_id``); ``report_ids`` a JSON list. Deleting marks ``is_deleted``.
goals = Table(
    "goals",
    metadata,
    Column("id", String(32), primary_key=True),
    _company(),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("title", String(255), nullable=True),
    Column("type_name", String(32), nullable=False),
    Column("params", Text, nullable=False),
    Column("assignee_id", Integer, nullable=False),
    Column("assignee_type", String(16), nullable=False),
    Column("interval", String(16), nullable=False),
    Column("duration_start", DATE, nullable=False),
    Column("duration_end", DATE, nullable=True),
    Column("target", Float, nullable=False),
    Column("tracking_metric", String(16), nullable=False),
    Column("currency_id", Integer, nullable=True),
    Column("report_ids", Text, nullable=False),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
)

# -- saved filters -------------------------------------------------------------------------

# Saved queries over one entity type (``type``: deals, leads, org, people, products,
# activity, projects). ``conditions`` is the normalised condition tree as JSON text
# (``domain/filters.py``); lists compile it to SQL on every use (``store/filter_sql.py``).
filters = Table(
    "filters",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    Column("conditions", Text, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("visible_to", Integer, nullable=False, server_default="1"),
    Column("filter_code", String(64), nullable=True),
    Column("temporary_flag", Boolean, nullable=True),
    Column("custom_view_id", Integer, nullable=True),
    Column("last_used_time", TIME, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "type", "is_deleted"),
)


# -- search ------------------------------------------------------------------------------
# One row per searchable item (deal, person, organization, product, lead, file): the texts
# each of Pipedrive's search ``fields`` looks in, written in the same transaction as every
# write to the item (``domain/search_index.py``) and removed when it is deleted. Lists of
# values (e-mails, phones, custom values, notes) are one per line. ``title_key`` is the
# lower-cased title or name, for exact matches by index. Full-text indexes over these
# columns live beside it (migration 0011): an FTS5 trigram table kept by triggers on SQLite,
# a pg_trgm GIN index on PostgreSQL.
search_items = Table(
    "search_items",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("item_type", String(16), nullable=False),
    # Integer ids in ``item_id``, UUIDs (leads) in ``item_uuid``.
    Column("item_id", Integer, nullable=True),
    Column("item_uuid", String(36), nullable=True),
    Column("title", Text, nullable=True),
    Column("title_key", Text, nullable=True),
    Column("email", Text, nullable=True),
    Column("phone", Text, nullable=True),
    Column("address", Text, nullable=True),
    Column("code", Text, nullable=True),
    Column("custom", Text, nullable=True),
    Column("notes", Text, nullable=True),
    Index(None, "company_id", "item_type", "item_id"),
    Index(None, "company_id", "item_type", "item_uuid"),
    Index(None, "company_id", "title_key"),
)


# -- projects ------------------------------------------------------------------------------
# Boards (a company starts with one, with phases: ``bootstrap.py`` and migration 0014), their
# phases, and projects on a board in one of its phases. A project's deals and labels are JSON
# id lists; its person and organization are one each (v1) and shown as lists in v2.
projects_boards = Table(
    "projects_boards",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("order_nr", Integer, nullable=False, server_default="0"),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "order_nr"),
)

projects_phases = Table(
    "projects_phases",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("board_id", Integer, ForeignKey("projects_boards.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("order_nr", Integer, nullable=False, server_default="0"),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "board_id", "order_nr"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("board_id", Integer, ForeignKey("projects_boards.id"), nullable=False),
    Column("phase_id", Integer, ForeignKey("projects_phases.id"), nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("start_date", DATE, nullable=True),
    Column("end_date", DATE, nullable=True),
    Column("deal_ids", Text, nullable=True),
    Column("person_id", Integer, nullable=True),
    Column("org_id", Integer, nullable=True),
    Column("person_ids", Text, nullable=True),
    Column("org_ids", Text, nullable=True),
    Column("label_ids", Text, nullable=True),
    Column("health_status", String(16), nullable=True),
    Column("status_change_time", TIME, nullable=True),
    Column("is_archived", Boolean, nullable=False, server_default="0"),
    Column("archive_time", TIME, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    Column("custom_fields", Text, nullable=True),
    # The company's fields_version when custom_fields was last written (see domain/field_defs.py).
    Column("custom_fields_version", Integer, nullable=True),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "is_archived", "id"),
    Index(None, "company_id", "phase_id"),
)

# Where an activity or a task sits in a project's plan (``/v1/projects/{id}/plan``).
projects_plan = Table(
    "projects_plan",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("item_type", String(16), nullable=False),
    Column("item_id", Integer, nullable=False),
    Column("phase_id", Integer, nullable=True),
    Column("group_id", Integer, nullable=True),
    *_stamps(),
    Index(None, "company_id", "project_id", "item_type", "item_id"),
)

# Tasks of a project (a task may sit under a parent task of the same project).
tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("parent_task_id", Integer, nullable=True),
    Column("creator_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("assignee_id", Integer, nullable=True),
    Column("assignee_ids", Text, nullable=True),
    Column("is_done", Boolean, nullable=False, server_default="0"),
    Column("is_milestone", Boolean, nullable=False, server_default="0"),
    Column("due_date", DATE, nullable=True),
    Column("start_date", DATE, nullable=True),
    Column("priority", Integer, nullable=True),
    Column("marked_as_done_time", TIME, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "project_id", "id"),
)

# OAuth 2.0 (``store/oauth.py``): apps made by ``dealbase app create``, authorization codes,
# grants (one per exchanged code: its refresh token) and their access tokens. Secrets,
# codes and tokens are kept only as SHA-256 hex digests.
oauth_apps = Table(
    "oauth_apps",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("client_id", String(64), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("redirect_uris", Text, nullable=False),  # JSON list; a callback must equal one
    Column("scopes", Text, nullable=False),  # comma-separated, as token answers give them
    Column("add_time", TIME, nullable=False),
    Index(None, "client_id", unique=True),
)

oauth_codes = Table(
    "oauth_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("app_id", Integer, ForeignKey("oauth_apps.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("expires_at", TIME, nullable=False),
    Index(None, "code_hash", unique=True),
)

oauth_grants = Table(
    "oauth_grants",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("app_id", Integer, ForeignKey("oauth_apps.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("refresh_hash", String(64), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("expires_at", TIME, nullable=False),  # moved on by every refresh
    Column("add_time", TIME, nullable=False),
    Index(None, "refresh_hash", unique=True),
)

oauth_access_tokens = Table(
    "oauth_access_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("grant_id", Integer, ForeignKey("oauth_grants.id"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("expires_at", TIME, nullable=False),
    Index(None, "token_hash", unique=True),
    Index(None, "grant_id"),
)

# Webhook subscriptions (``/v1/webhooks``). ``user_id`` is the user whose visibility the
# events follow; a ban (``banned_until``) and a removal for failing deliveries are the
# dispatcher's (``events/dispatcher.py``); a delete through the API sets ``is_deleted``.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(255), nullable=True),
    Column("event_action", String(16), nullable=False),
    Column("event_object", String(32), nullable=False),
    Column("subscription_url", Text, nullable=False),
    Column("version", String(3), nullable=False),
    Column("type", String(16), nullable=False, server_default="general"),
    # The OAuth app that made it (``type`` "application"): only that app sees it.
    Column("app_id", Integer, ForeignKey("oauth_apps.id"), nullable=True),
    Column("http_auth_user", String(255), nullable=True),
    Column("http_auth_password", String(255), nullable=True),
    Column("add_time", TIME, nullable=False),
    Column("remove_time", TIME, nullable=True),
    Column("remove_reason", String(255), nullable=True),
    Column("last_delivery_time", TIME, nullable=True),
    Column("last_http_status", Integer, nullable=True),
    # The last delivery that succeeded (or add_time): a webhook silent for days is removed.
    Column("last_success_time", TIME, nullable=True),
    # First-attempt failures since the last ban or success; at the threshold, a ban.
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("banned_until", TIME, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    Index(None, "company_id", "is_deleted"),
)

# The webhook outbox: one row per (event, matching webhook), written in the write's own
# transaction with the rendered payload; ``attempt`` / ``retry`` are set at each send.
# ``entity_key`` orders deliveries per entity; ``next_at`` and ``claimed_until`` are epoch
# seconds (sub-second retry schedules in tests).
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("webhook_id", Integer, ForeignKey("webhooks.id"), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_key", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("payload", Text, nullable=False),
    # pending → delivered | failed (all tries failed) | dropped (its webhook went away)
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_at", Float, nullable=False),
    Column("claimed_until", Float, nullable=True),
    Column("claimed_by", String(36), nullable=True),
    Column("add_time", TIME, nullable=False),
    Column("last_attempt_time", TIME, nullable=True),
    Column("last_http_status", Integer, nullable=True),
    Column("last_error", String(255), nullable=True),
    Index(None, "status", "next_at"),
    Index(None, "webhook_id", "entity_key", "status", "id"),
    Index(None, "company_id", "webhook_id", "id"),
)

# Saved states of a company (``POST /_dealbase/companies/{id}/snapshots``, ``store/snapshots.py``):
# every row of every other table with a ``company_id`` and the company's stored files, as one
# compressed payload, so a snapshot survives a restart and is restored in one transaction.
# ``counts`` is JSON: rows per table, and ``files``.
company_snapshots = Table(
    "company_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("created", TIME, nullable=False),
    Column("size", Integer, nullable=False),  # bytes of the compressed payload
    Column("counts", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Index(None, "company_id", "name", unique=True),
)

# Roles (``/v1/roles``, ``domain/roles.py``): a hierarchy by ``parent_role_id``; each role's
# default visibility per item type (null: the company's default) applies to its users' creates.
roles = Table(
    "roles",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    # No foreign key: a role may point at a later one (moved under it), and a snapshot's restore
    # inserts a table's rows in id order, each checked at once on SQLite. domain/roles.py checks it.
    Column("parent_role_id", Integer, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    Column("deal_default_visibility", Integer, nullable=True),
    Column("lead_default_visibility", Integer, nullable=True),
    Column("org_default_visibility", Integer, nullable=True),
    Column("person_default_visibility", Integer, nullable=True),
    Column("product_default_visibility", Integer, nullable=True),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
)

# A user's role: at most one per user; a user without a row is in no role (the default one).
role_assignments = Table(
    "role_assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("role_id", Integer, ForeignKey("roles.id"), nullable=False),
    Column("add_time", TIME, nullable=False),
    Index(None, "company_id", "user_id", unique=True),
    Index(None, "company_id", "role_id"),
)

# The pipelines a role does not see (so a new pipeline is visible to every role).
role_hidden_pipelines = Table(
    "role_hidden_pipelines",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("role_id", Integer, ForeignKey("roles.id"), nullable=False),
    Column("pipeline_id", Integer, ForeignKey("pipelines.id"), nullable=False),
    Index(None, "company_id", "role_id", "pipeline_id", unique=True),
)

# A user's permission set per app (``domain/permissions.py`` declares the sets); an app without
# a row: the app's default set for the user (admin or regular).
permission_set_assignments = Table(
    "permission_set_assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("app", String(32), nullable=False),
    Column("permission_set_id", String(36), nullable=False),
    Index(None, "company_id", "user_id", "app", unique=True),
    Index(None, "company_id", "permission_set_id"),
)

# Legacy teams (``/v1/legacyTeams``, ``domain/legacy_teams.py``) and their members.
legacy_teams = Table(
    "legacy_teams",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("manager_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_by_user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("active_flag", Boolean, nullable=False, server_default="1"),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
)

legacy_team_users = Table(
    "legacy_team_users",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("team_id", Integer, ForeignKey("legacy_teams.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Index(None, "company_id", "team_id", "user_id", unique=True),
    Index(None, "company_id", "user_id"),
)

# Organization relationships (``/v1/organizationRelationships``, ``domain/org_relationships.py``):
# ``parent`` (the owner is the parent, the linked organization its daughter) or ``related``.
org_relationships = Table(
    "org_relationships",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("type", String(16), nullable=False),
    Column("rel_owner_org_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("rel_linked_org_id", Integer, ForeignKey("organizations.id"), nullable=False),
    # deleted ones are kept marked, so an id never comes again (SQLite reuses the highest)
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "rel_owner_org_id"),
    Index(None, "company_id", "rel_linked_org_id"),
)

# Messaging channels (``/v1/channels``, ``domain/channels.py``): a channel an integration
# registers under its own id (``provider_channel_id``), the conversations messages arrive in
# (by the provider's conversation id) and the messages, each once by the provider's message id.
channels = Table(
    "channels",
    metadata,
    Column("id", String(36), primary_key=True),
    _company(),
    Column("provider_channel_id", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("avatar_url", Text, nullable=True),
    Column("provider_type", String(16), nullable=False),
    Column("template_support", Boolean, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("app_id", Integer, ForeignKey("oauth_apps.id"), nullable=True),  # the OAuth app that registered it
    Column("add_time", TIME, nullable=False),
    Index(None, "company_id", "provider_channel_id", unique=True),
)

channel_conversations = Table(
    "channel_conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("channel_id", String(36), ForeignKey("channels.id"), nullable=False),
    Column("provider_conversation_id", String(255), nullable=False),
    Column("link", Text, nullable=True),
    *_stamps(),
    Index(None, "channel_id", "provider_conversation_id", unique=True),
)

channel_messages = Table(
    "channel_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("conversation_id", Integer, ForeignKey("channel_conversations.id"), nullable=False),
    Column("provider_message_id", String(255), nullable=False),
    Column("sender_id", String(255), nullable=False),
    Column("message", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", String(24), nullable=False),
    Column("reply_by", String(24), nullable=True),
    Column("attachments", Text, nullable=False),  # JSON list, as received
    *_stamps(),
    Index(None, "conversation_id", "provider_message_id", unique=True),
)

# A user's link to an installed video call integration (``/v1/meetings/userProviderLinks``).
user_provider_links = Table(
    "user_provider_links",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("user_provider_id", String(36), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("marketplace_client_id", String(64), nullable=False),
    *_stamps(),
    Index(None, "company_id", "user_provider_id", unique=True),
)

# Call logs (``/v1/callLogs``): string ids; each is an activity of type call, and its audio
# recording is a file of that activity.
call_logs = Table(
    "call_logs",
    metadata,
    Column("id", String(32), primary_key=True),
    _company(),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("activity_id", Integer, ForeignKey("activities.id"), nullable=False),
    Column("deal_id", Integer, nullable=True),
    Column("lead_id", String(36), nullable=True),
    Column("person_id", Integer, nullable=True),
    Column("org_id", Integer, nullable=True),
    Column("subject", String(255), nullable=True),
    Column("duration", String(16), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("from_phone_number", String(255), nullable=True),
    Column("to_phone_number", String(255), nullable=False),
    Column("start_time", TIME, nullable=False),
    Column("end_time", TIME, nullable=False),
    Column("note", Text, nullable=True),
    Column("file_id", Integer, ForeignKey("files.id"), nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "user_id", "is_deleted", "id"),
)

# Project templates (a company starts with some: ``bootstrap.py``, migration 0030): each for a
# board, with the tasks a project made from it gets, each in a phase of that board.
project_templates = Table(
    "project_templates",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("board_id", Integer, ForeignKey("projects_boards.id"), nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "is_deleted", "id"),
)

project_template_tasks = Table(
    "project_template_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("template_id", Integer, ForeignKey("project_templates.id"), nullable=False),
    Column("phase_id", Integer, ForeignKey("projects_phases.id"), nullable=False),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("order_nr", Integer, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "template_id", "order_nr"),
)

# E-mail (``domain/mail.py``): threads of messages taken in by Smart BCC (``domain/mail_ingest.py``).
mail_threads = Table(
    "mail_threads",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("subject", Text, nullable=False),
    Column("snippet", Text, nullable=False),
    # inbox, sent, drafts or archive (an archived thread's folder is archive).
    Column("folder", String(8), nullable=False),
    Column("read_flag", Boolean, nullable=False, server_default="0"),
    Column("shared_flag", Boolean, nullable=False, server_default="0"),
    Column("archived_flag", Boolean, nullable=False, server_default="0"),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    Column("deal_id", Integer, ForeignKey("deals.id"), nullable=True),
    Column("lead_id", String(36), ForeignKey("leads.id"), nullable=True),
    Column("message_count", Integer, nullable=False, server_default="0"),
    Column("has_attachments", Boolean, nullable=False, server_default="0"),
    Column("first_message_time", TIME, nullable=False),
    Column("last_message_time", TIME, nullable=False),
    Column("last_sent_time", TIME, nullable=True),
    Column("last_received_time", TIME, nullable=True),
    *_stamps(),
    Index(None, "company_id", "folder", "is_deleted", "last_message_time"),
)

mail_messages = Table(
    "mail_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("thread_id", Integer, ForeignKey("mail_threads.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    # The Message-ID header without its angle brackets (cut to 255): what replies point at.
    Column("message_key", String(255), nullable=True),
    # JSON list of the message keys it answers (In-Reply-To, then References, newest first).
    Column("reply_keys", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("snippet", Text, nullable=False),
    Column("body", Text, nullable=True),
    Column("sent_flag", Boolean, nullable=False),
    Column("message_time", TIME, nullable=False),
    Column("size", Integer, nullable=False),
    Column("attachment_count", Integer, nullable=False, server_default="0"),
    # What was wrong with the message as received (JSON list of sentences), or null.
    Column("problems", Text, nullable=True),
    Column("is_deleted", Boolean, nullable=False, server_default="0"),
    *_stamps(),
    Index(None, "company_id", "thread_id", "message_time"),
    Index(None, "company_id", "message_key"),
)

# The addresses of a message (from, to, cc, bcc), each linked to the person who has it.
mail_parties = Table(
    "mail_parties",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("message_id", Integer, ForeignKey("mail_messages.id"), nullable=False),
    Column("role", String(4), nullable=False),
    Column("address", String(320), nullable=False),
    Column("name", String(255), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=True),
    Column("org_id", Integer, ForeignKey("organizations.id"), nullable=True),
    Index(None, "company_id", "message_id"),
    Index(None, "company_id", "person_id"),
    Index(None, "company_id", "org_id"),
)


# The web app's sign-in (``web/``): a user's password, as an Argon2 hash, and the sessions a
# browser holds (the cookie carries a random token; the table keeps its SHA-256 digest, so a
# database read gives no usable cookie). A reset keeps the passwords of the users it keeps.
user_passwords = Table(
    "user_passwords",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("password_hash", String(255), nullable=False),
    *_stamps(),
    Index(None, "user_id", unique=True),
    Index(None, "company_id"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    _company(),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("token_digest", String(64), nullable=False),
    # the session's CSRF token: every state-changing request of the web app carries it
    Column("csrf_token", String(64), nullable=False),
    Column("add_time", TIME, nullable=False),
    Column("expires_at", TIME, nullable=False),
    Index(None, "token_digest", unique=True),
    Index(None, "user_id"),
    Index(None, "company_id"),
)


def _index_foreign_keys() -> None:
    """An index on every foreign key column no index starts with (references to the company
    aside: ``company_id`` starts one everywhere). Removing a referenced row looks for rows
    that point at it: without one, each removed deal, person or user scans the referencing
    tables of every company (a reset or restore removes thousands). Migration 0026 made them."""
    for table in list(metadata.tables.values()):
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
            column = fk.parent
            if fk.column.table is companies or any(ix.columns[0] is column for ix in table.indexes):
                continue
            if list(table.primary_key.columns)[:1] == [column]:
                continue
            Index(None, column, _table=table)


_index_foreign_keys()
