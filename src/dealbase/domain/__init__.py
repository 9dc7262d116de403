"""Entity families: their field maps and the rules only they have."""

from dealbase.domain import activity_types, deals, organizations, persons, pipelines, stages, users  # noqa: F401
