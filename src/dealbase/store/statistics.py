"""The queries behind the deal summaries, the deals timeline, a pipeline's statistics and
goal results.

Each reads live deals of one company (or the stages they entered, or activities), narrowed
by the plain values it is given; what is made of the rows (sums per currency, periods,
rates, ages) is the domain's (``domain/statistics.py``, ``domain/goal_results.py``).
``where`` arguments are the list's own clauses (a saved filter, quick filters), compiled by
the layers that own them; ``seen`` ones the conditions on deals of what the reader may see
(``domain/visibility.py``), put in the statement that reads the deals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, false, select

from dealbase.store import repository as repo
from dealbase.store.tables import activities, deal_stage_moves, deals, stages

Row = dict[str, Any]

# What a deal's weighted value depends on (its probability, else its stage's): sums are
# made per these, so weights apply to a handful of groups rather than to every deal.
DEAL_GROUPS = ("currency", "status", "probability", "stage_id", "pipeline_id")


def _owned(column: Any, owner_ids: Sequence[int] | None) -> list[ColumnElement]:
    """Rows of those owners (None: everyone's; an empty list: no one's)."""
    if owner_ids is None:
        return []
    if not owner_ids:
        return [false()]
    return [column == owner_ids[0]] if len(owner_ids) == 1 else [column.in_(owner_ids)]


def deal_groups(
    conn: Any,
    company_id: int,
    *where: ColumnElement,
    owner_ids: Sequence[int] | None = None,
    pipeline_ids: Sequence[int] | None = None,
) -> list[Row]:
    """Live deals matching ``where`` (of those owners, those pipelines: None for any),
    counted and summed (``total``: their value) per ``DEAL_GROUPS``."""
    c = deals.c
    scope = [c.is_deleted.is_(False), *_owned(c.owner_id, owner_ids), *where]
    if pipeline_ids is not None:
        scope.append(c.pipeline_id.in_(pipeline_ids))
    return repo.grouped(conn, deals, company_id, scope, DEAL_GROUPS, total="value")


# -- deals timeline ----------------------------------------------------------------------


def dated_deals(
    conn: Any, company_id: int, date_key: str, custom: bool, first: str, after: str, where: Sequence[ColumnElement]
) -> list[Row]:
    """Live open and won deals whose date (a column, or a custom date field's value by its
    key) is in [``first``, ``after``), matching ``where``."""
    c = deals.c
    dated = repo.json_text(conn, c.custom_fields, date_key) if custom else c[date_key]
    scope = [c.is_deleted.is_(False), c.status.in_(("open", "won")), dated >= first, dated < after]
    return repo.all_rows(conn, deals, company_id, *scope, *where)


# -- pipeline statistics -----------------------------------------------------------------


def pipeline_stages(conn: Any, company_id: int, pipeline_id: int) -> list[Row]:
    """The pipeline's live stages in their order."""
    s = stages.c
    live = (s.pipeline_id == pipeline_id, s.is_deleted.is_(False))
    return repo.all_rows(conn, stages, company_id, *live, order_by=[s.order_nr, s.id])


def moves_with_deals(conn: Any, company_id: int, *where: ColumnElement) -> list[Row]:
    """Stage moves (``deal_stage_moves``) of live deals matching ``where``, each with its
    deal's owner, value, currency, status and close time (prefixed ``deal_``), in the order
    they were made."""
    moves, deal = deal_stage_moves, deals
    stmt = (
        select(
            moves,
            deal.c.owner_id.label("deal_owner_id"),
            deal.c.value.label("deal_value"),
            deal.c.currency.label("deal_currency"),
            deal.c.status.label("deal_status"),
            deal.c.close_time.label("deal_close_time"),
        )
        .join(deal, and_(deal.c.id == moves.c.deal_id, deal.c.company_id == company_id))
        .where(moves.c.company_id == company_id, deal.c.is_deleted.is_(False), *where)
        .order_by(moves.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def stage_moves(
    conn: Any,
    company_id: int,
    *,
    owner_ids: Sequence[int] | None,
    pipeline_ids: Sequence[int] | None = None,
    since: str | None = None,
    until: str | None = None,
    from_pipeline: Literal["same", "other"] | None = None,
    deal_ids: Sequence[int] | None = None,
    to_stage_id: int | None = None,
    seen: Sequence[ColumnElement] = (),
) -> list[Row]:
    """Moves into the stages of those pipelines (None: any) made in [``since``, ``until``)
    by the deals those users own (``moves_with_deals``); ``from_pipeline``: only moves within
    the pipeline ("same") or into it from elsewhere or on create ("other")."""
    m = deal_stage_moves.c
    where = [*_owned(deals.c.owner_id, owner_ids), *seen]
    if pipeline_ids is not None:
        where.append(m.pipeline_id == pipeline_ids[0] if len(pipeline_ids) == 1 else m.pipeline_id.in_(pipeline_ids))
    if to_stage_id is not None:
        where.append(m.to_stage_id == to_stage_id)
    if since is not None:
        where.append(m.time >= since)
    if until is not None:
        where.append(m.time < until)
    if from_pipeline == "same":
        where.append(m.from_pipeline_id == m.pipeline_id)
    elif from_pipeline == "other":
        where.append(m.from_pipeline_id.is_(None) | (m.from_pipeline_id != m.pipeline_id))
    if deal_ids is not None:
        where.append(m.deal_id.in_(sorted(deal_ids)))
    return moves_with_deals(conn, company_id, *where)


def pipeline_deals(
    conn: Any,
    company_id: int,
    pipeline_id: int,
    owner_ids: Sequence[int] | None,
    state: Literal["left_open", "won", "lost"],
    start: str,
    end: str,
    seen: Sequence[ColumnElement] = (),
) -> list[Row]:
    """The pipeline's live deals, by id, that were open at ``end`` (added before it, not
    closed by then), or won or lost in [``start``, ``end``)."""
    c = deals.c
    if state == "left_open":
        when = [c.add_time < end, (c.status == "open") | (c.close_time >= end)]
    else:
        closed = c.won_time if state == "won" else c.lost_time
        when = [c.status == state, closed >= start, closed < end]
    scope = [c.is_deleted.is_(False), c.pipeline_id == pipeline_id, *_owned(c.owner_id, owner_ids), *when, *seen]
    return repo.all_rows(conn, deals, company_id, *scope, order_by=[c.id])


# -- goal results ------------------------------------------------------------------------


def goal_deal_groups(
    conn: Any,
    company_id: int,
    counted: Literal["added", "won", "expected"],
    since: str,
    until: str,
    owner_ids: Sequence[int] | None,
    pipeline_ids: Sequence[int] | None,
    seen: Sequence[ColumnElement] = (),
) -> list[Row]:
    """``deal_groups`` of the deals added, or won, in [``since``, ``until``) (times), or of
    the open deals expected to close from ``since`` to ``until`` (dates, both included)."""
    c = deals.c
    if counted == "added":
        when = [c.add_time >= since, c.add_time < until]
    elif counted == "won":
        when = [c.status == "won", c.won_time >= since, c.won_time < until]
    else:
        when = [c.status == "open", c.expected_close_date >= since, c.expected_close_date <= until]
    return deal_groups(conn, company_id, *when, *seen, owner_ids=owner_ids, pipeline_ids=pipeline_ids)


def activities_count(
    conn: Any,
    company_id: int,
    done: bool,
    since: str,
    until: str,
    owner_ids: Sequence[int] | None,
    type_keys: Sequence[str] | None,
) -> int:
    """Live activities added (``done`` False) or marked done in [``since``, ``until``), of
    those types (None: any)."""
    a = activities.c
    scope = [a.is_deleted.is_(False), *_owned(a.owner_id, owner_ids)]
    if done:
        scope += [a.done.is_(True), a.marked_as_done_time >= since, a.marked_as_done_time < until]
    else:
        scope += [a.add_time >= since, a.add_time < until]
    if type_keys is not None:
        scope.append(a.type.in_(type_keys))
    return sum(g["count"] for g in repo.grouped(conn, activities, company_id, scope, ()))
