"""The core sales API: pipelines, stages, organizations, persons and deals, v1 and v2.

Each operation is a generic resource operation bound to an entity: get, add, update,
delete, v1's bulk delete, and the lists each entity declares (``Entity.lists``).
"""

from __future__ import annotations


from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.router import Handlers
from dealbase.domain.deals import DEAL
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.pipelines import PIPELINE
from dealbase.domain.stages import STAGE

handlers = Handlers()

for _entity in (DEAL, PERSON, ORGANIZATION, PIPELINE, STAGE):
    res.bind(handlers, _entity, "v2", "v1")
    lists.bind(handlers, _entity)
    if _entity is not PIPELINE:
        handlers.operation("v1", f"delete_{_entity.plural}", write=True)(lambda ctx, e=_entity: res.bulk_delete(ctx, e))

