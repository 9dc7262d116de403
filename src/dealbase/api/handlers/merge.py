"""Merging deals, persons and organizations, and duplicating deals (v1)."""

from __future__ import annotations

from dealbase.api import merge
from dealbase.api.router import Handlers
from dealbase.domain.deals import DEAL
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON

handlers = Handlers()

for _entity in (DEAL, PERSON, ORGANIZATION):
    handlers.operation("v1", f"merge_{_entity.plural}", write=True)(lambda ctx, e=_entity: merge.merge(ctx, e))


@handlers.operation("v1", "duplicate_deal", write=True)
def duplicate_deal(ctx):
    """A copy of the deal, made now by the caller."""
    return merge.duplicate(ctx, DEAL)
