"""Entity families: their field maps and the rules only they have."""

from dealbase.domain import (  # noqa: F401
    activity_types,
    deals,
    followers,
    organizations,
    participants,
    persons,
    pipelines,
    stages,
    users,
)
