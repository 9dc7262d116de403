"""Every declared entity, by name (the name references use in ``Field.ref``)."""

from __future__ import annotations

from dealbase.domain.entity import Entity

ENTITIES: dict[str, Entity] = {}


def register(entity: Entity) -> Entity:
    ENTITIES[entity.name] = entity
    return entity


def entity(name: str) -> Entity:
    return ENTITIES[name]
