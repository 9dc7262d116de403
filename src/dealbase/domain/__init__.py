"""Entity families: their field maps and the rules only they have."""

from dealbase.domain import (  # noqa: F401
    activities,
    activity_types,
    deals,
    files,
    followers,
    leads,
    notes,
    organizations,
    participants,
    persons,
    pipelines,
    stages,
    users,
)
