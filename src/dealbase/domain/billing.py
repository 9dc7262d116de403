"""Billing: the add-ons a company has, which follow its plan (``companies.plan``).

Pipedrive's plans since 2025 include LeadBooster (with its monthly Prospector credits) and
Projects from Premium up; on Lite and Growth they are bought separately, which a company
here cannot do, so it has none. Of the plans before 2025, Power and Enterprise included
Projects. The codes are those ``GET /v1/billing/subscriptions/addons`` answers
(``leadbooster_v2``, ``prospector``); Projects' code is not documented: ``projects``.
"""

from __future__ import annotations

from dealbase.store import repository as repo

_LEADBOOSTER = ("leadbooster_v2", "prospector")
_PROJECTS = ("projects",)
ADDONS: dict[str, tuple[str, ...]] = {
    "premium": (*_LEADBOOSTER, *_PROJECTS),
    "ultimate": (*_LEADBOOSTER, *_PROJECTS),
    "power": _PROJECTS,
    "enterprise": _PROJECTS,
}


def addons(unit) -> list[str]:
    """The codes of the company's add-ons."""
    return list(ADDONS.get(repo.get_company(unit.conn, unit.company_id)["plan"], ()))
