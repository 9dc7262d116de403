"""The board: a pipeline's stages as columns of deal cards, read through dealbase's own API.

Every read is an API operation run as the signed-in user (``Api``), so the board shows what
that user may see, as the API would show it. A page makes a fixed number of calls per stage
(its deals' summary and their first ``CARDS_PER_STAGE`` cards) plus four (pipelines, users,
saved deal filters, stages): its statements do not grow with the number of deals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from dealbase.web.calls import Api, Refused

CARDS_PER_STAGE = 500  # the v1 list's largest page


@dataclass
class Card:
    id: int
    title: str
    party: str | None  # the organization, else the person
    value: str
    owner: str | None
    next_activity: str | None
    rotting: bool


@dataclass
class Column:
    id: int
    name: str
    count: int
    sums: list[str]
    rotten_days: int | None
    cards: list[Card] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return max(0, self.count - len(self.cards))


# The board's status choice → the v1 list's ``status`` and the summary's (None: every status)
STATUSES = {"open": ("open", "open"), "won": ("won", "won"), "lost": ("lost", "lost"), "all": ("all_not_deleted", None)}


def read_id(value: Any) -> int | None:
    """A positive id from a query or form value; None for anything else."""
    text = value if isinstance(value, str) else ""
    return int(text) if text.isdigit() and len(text) < 10 else None


@dataclass(frozen=True)
class View:
    """What the board shows: a pipeline, and its deals of one owner, status or saved filter;
    read from the page's query (or an action's form), anything malformed left out."""

    pipeline: int | None = None
    owner: int | None = None
    status: str = "open"
    filter: int | None = None

    @classmethod
    def read(cls, values: Any) -> View:
        status = values.get("status")
        return cls(
            pipeline=read_id(values.get("pipeline")),
            owner=read_id(values.get("owner")),
            status=status if status in STATUSES else "open",
            filter=read_id(values.get("filter")),
        )

    def params(self) -> str:
        """The view as a query string (the board's, its actions')."""
        given = {"pipeline": self.pipeline, "owner": self.owner, "filter": self.filter}
        given |= {"status": self.status} if self.status != "open" else {}
        return urlencode({k: v for k, v in given.items() if v is not None})


@dataclass
class Board:
    view: View
    pipelines: list[dict[str, Any]]
    pipeline: dict[str, Any] | None
    columns: list[Column]
    users: list[dict[str, Any]] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)


def _next_activity(deal: dict[str, Any]) -> str | None:
    date = deal.get("next_activity_date")
    if not date:
        return None
    subject = deal.get("next_activity_subject") or "Activity"
    when = f"{date} {deal['next_activity_time'][:5]}" if deal.get("next_activity_time") else date
    return f"{subject}, {when}"


def card(deal: dict[str, Any]) -> Card:
    return Card(
        id=deal["id"],
        title=deal["title"],
        party=deal.get("org_name") or deal.get("person_name"),
        value=deal.get("formatted_value") or "",
        owner=deal.get("owner_name"),
        next_activity=_next_activity(deal),
        rotting=deal.get("rotten_time") is not None,
    )


async def read(api: Api, view: View) -> Board:
    """The board of the view's pipeline (none, or not one the user has: their first one)."""
    pipelines = (await api.get("v2", "/pipelines", {"limit": "500"}))["data"]
    chosen = next((p for p in pipelines if p["id"] == view.pipeline), pipelines[0] if pipelines else None)
    users = (await api.get("v1", "/users"))["data"] or []
    filters = (await api.get("v1", "/filters", {"type": "deals"}))["data"] or []
    if chosen is None:
        return Board(view, pipelines, None, [], users, filters)
    stages = (await api.get("v2", "/stages", {"pipeline_id": str(chosen["id"]), "limit": "500"}))["data"]
    listed, summed = STATUSES[view.status]
    scope = {"user_id": view.owner, "filter_id": view.filter}
    scope = {key: str(value) for key, value in scope.items() if value is not None}
    columns = []
    for stage in stages:
        stage_scope = {**scope, "stage_id": str(stage["id"])}
        summary = (await api.get("v1", "/deals/summary", stage_scope | ({"status": summed} if summed else {})))["data"]
        totals = summary.get("values_total") or {}
        deals = (await api.get("v1", "/deals", {**stage_scope, "status": listed, "limit": str(CARDS_PER_STAGE)}))[
            "data"
        ] or []
        columns.append(
            Column(
                id=stage["id"],
                name=stage["name"],
                count=summary.get("total_count") or 0,
                sums=[total["value_formatted"] for total in totals.values()],
                rotten_days=stage.get("days_to_rotten") if stage.get("is_deal_rot_enabled") else None,
                cards=[card(deal) for deal in deals],
            )
        )
    return Board(view, pipelines, chosen, columns, users, filters)


async def move_choices(api: Api, deal_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A deal and the stages of its pipeline (the move page, for a browser without script)."""
    deal = (await api.get("v2", f"/deals/{deal_id}"))["data"]
    stages = (await api.get("v2", "/stages", {"pipeline_id": str(deal["pipeline_id"]), "limit": "500"}))["data"]
    return deal, stages


async def move(api: Api, deal_id: int, stage_id: int) -> dict[str, Any]:
    """The deal put in the stage (and so its pipeline): ``PATCH /api/v2/deals/{id}``."""
    return (await api.send("PATCH", "v2", f"/deals/{deal_id}", {"stage_id": stage_id}))["data"]


async def add(api: Api, title: str, value: str, stage_id: int) -> dict[str, Any]:
    """A new open deal in the stage: ``POST /api/v2/deals``."""
    body: dict[str, Any] = {"title": title, "stage_id": stage_id}
    if value.strip():
        try:
            body["value"] = float(value)
        except ValueError:
            body["value"] = math.nan
        if not math.isfinite(body["value"]):
            raise Refused(400, "The value must be a number")
    return (await api.send("POST", "v2", "/deals", body))["data"]
