"""Entity families: their field maps and the rules only they have."""

from dealbase.domain import activities, activity_types, deals, organizations, persons, pipelines, stages, users  # noqa: F401
