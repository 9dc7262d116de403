"""Project templates (v1 and v2): the ones a company starts with, reading them, and a
project made from one getting the template's board, description, tasks and their phases."""

from __future__ import annotations

from factories import data, error, refused
from sqlalchemy import func, select

from dealbase.store.tables import change_events, project_templates, projects, tasks


def created(response):
    return data(response, 201)


def phases_of(api, board_id: int) -> list[dict]:
    return data(api.get("/api/v2/phases", params={"board_id": board_id}))


def onboarding(api) -> dict:
    return next(t for t in data(api.get("/api/v2/projectTemplates")) if t["title"] == "Customer onboarding")


def test_a_company_starts_with_templates_on_its_board(api):
    board = data(api.get("/api/v2/boards"))[0]
    me = data(api.get("/v1/users/me"))["id"]
    v2 = data(api.get("/api/v2/projectTemplates"))
    assert [t["title"] for t in v2] == ["Customer onboarding", "Service delivery"]
    assert all(t["projects_board_id"] == board["id"] and t["owner_id"] == me for t in v2)
    assert v2[0]["description"].startswith("From the signed deal")
    assert v2[0]["add_time"].endswith("Z") and "T" in v2[0]["add_time"]  # v2: RFC 3339
    v1 = data(api.get("/v1/projectTemplates"))
    assert [(t["id"], t["title"], t["projects_board_id"]) for t in v1] == [
        (t["id"], t["title"], t["projects_board_id"]) for t in v2
    ]
    assert len(v1[0]["add_time"]) == 19 and "T" not in v1[0]["add_time"]  # v1: YYYY-MM-DD HH:MM:SS
    assert data(api.get(f"/v1/projectTemplates/{v2[1]['id']}"))["title"] == "Service delivery"
    assert data(api.get(f"/api/v2/projectTemplates/{v2[0]['id']}")) == v2[0]


def test_templates_are_paged_by_cursor(api):
    first = api.get("/api/v2/projectTemplates", params={"limit": 1}).json()
    assert [t["title"] for t in first["data"]] == ["Customer onboarding"]
    cursor = first["additional_data"]["next_cursor"]
    assert cursor
    second = api.get("/api/v2/projectTemplates", params={"limit": 1, "cursor": cursor}).json()
    assert [t["title"] for t in second["data"]] == ["Service delivery"]
    assert second["additional_data"]["next_cursor"] is None
    first_v1 = api.get("/v1/projectTemplates", params={"limit": 1}).json()
    assert [t["title"] for t in first_v1["data"]] == ["Customer onboarding"]
    later = api.get("/v1/projectTemplates", params={"limit": 1, "cursor": first_v1["additional_data"]["next_cursor"]})
    assert [t["title"] for t in data(later)] == ["Service delivery"]


def test_a_template_not_there_or_another_companys_is_a_404(api, other_api):
    theirs = data(other_api.get("/api/v2/projectTemplates"))[0]["id"]
    for path in ("/api/v2/projectTemplates", "/v1/projectTemplates"):
        error(api.get(f"{path}/999999"), 404)
        error(api.get(f"{path}/{theirs}"), 404)
    assert theirs not in [t["id"] for t in data(api.get("/api/v2/projectTemplates"))]
    error(api.get("/api/v2/projectTemplates/abc"), 400)


def test_a_project_from_a_template_gets_its_tasks_in_their_phases(api):
    template = onboarding(api)
    planning, in_progress, done = phases_of(api, template["projects_board_id"])
    project = created(api.post("/api/v2/projects", json={"title": "Acme onboarding", "template_id": template["id"]}))
    assert project["board_id"] == template["projects_board_id"] and project["phase_id"] == planning["id"]
    assert project["description"] == template["description"]
    listed = data(api.get(f"/v1/projects/{project['id']}/tasks"))
    assert [t["title"] for t in listed] == [
        "Kick-off call",
        "Collect the customer's data",
        "Set up the account",
        "Train the customer's team",
        "Hand over to account management",
    ]
    assert listed[0]["description"] == "Agree on goals, contacts and the timeline" and listed[2]["description"] is None
    assert all(t["project_id"] == project["id"] and t["done"] == 0 for t in listed)
    plan = data(api.get(f"/v1/projects/{project['id']}/plan"))
    phase_of = {p["item_id"]: p["phase_id"] for p in plan if p["item_type"] == "task"}
    ids = [t["id"] for t in listed]
    assert [phase_of[i] for i in ids] == [planning["id"]] * 2 + [in_progress["id"]] * 2 + [done["id"]]
    v2_tasks = data(api.get("/api/v2/tasks", params={"project_id": project["id"]}))
    assert [t["id"] for t in v2_tasks] == ids


def test_a_project_from_a_template_through_v1_with_its_own_description(api):
    template = data(api.get("/v1/projectTemplates"))[1]
    body = {"title": "Audit", "template_id": str(template["id"]), "description": "Our own words"}
    project = created(api.post("/v1/projects", json=body))
    assert project["description"] == "Our own words"
    assert [t["title"] for t in data(api.get(f"/v1/projects/{project['id']}/tasks"))] == [
        "Plan the work",
        "Do the work",
        "Get the customer's sign-off",
        "Send the invoice",
    ]


def test_templates_make_new_tasks_each_time_and_an_update_ignores_template_id(api):
    template = onboarding(api)
    one = created(api.post("/api/v2/projects", json={"title": "One", "template_id": template["id"]}))
    two = created(api.post("/api/v2/projects", json={"title": "Two", "template_id": template["id"]}))
    first = {t["id"] for t in data(api.get(f"/v1/projects/{one['id']}/tasks"))}
    second = {t["id"] for t in data(api.get(f"/v1/projects/{two['id']}/tasks"))}
    assert len(first) == len(second) == 5 and not first & second
    data(api.patch(f"/api/v2/projects/{one['id']}", json={"title": "Uno", "template_id": template["id"]}))
    assert len(data(api.get(f"/v1/projects/{one['id']}/tasks"))) == 5
    plain = created(api.post("/api/v2/projects", json={"title": "Plain"}))
    assert data(api.get(f"/v1/projects/{plain['id']}/tasks")) == [] and plain["description"] is None


def test_a_project_from_a_template_is_created_before_its_tasks(api, engine, company):
    template = onboarding(api)
    project = created(api.post("/api/v2/projects", json={"title": "Ordered", "template_id": template["id"]}))
    ce = change_events.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(ce.entity, ce.entity_id)
            .where(ce.company_id == company.company_id, ce.action == "create", ce.entity.in_(("project", "task")))
            .order_by(ce.id)
        ).all()
    assert rows[0] == ("project", project["id"]) and [r[0] for r in rows[1:]] == ["task"] * 5


def _counts(engine, company_id: int) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(t).where(t.c.company_id == company_id)).scalar_one()
            for t in (projects, tasks)
        )


def test_a_bad_template_id_is_a_400_and_writes_nothing(api, other_api, engine, company):
    template = onboarding(api)
    theirs = data(other_api.get("/api/v2/projectTemplates"))[0]["id"]
    other_board = data(api.post("/api/v2/boards", json={"name": "Elsewhere"}))
    data(api.post("/api/v2/phases", json={"name": "Only", "board_id": other_board["id"]}))
    before = _counts(engine, company.company_id)
    not_found = "Validation failed: template_id: Project template with id {} not found"
    for url, value, message in (
        ("/api/v2/projects", "1", "Validation failed: template_id: must be a positive integer"),
        ("/api/v2/projects", True, "Validation failed: template_id: must be a positive integer"),
        ("/api/v2/projects", 0, "Validation failed: template_id: must be a positive integer"),
        ("/v1/projects", "one", "Validation failed: template_id: must be a positive integer"),
        ("/api/v2/projects", 999999, not_found.format(999999)),
        ("/v1/projects", theirs, not_found.format(theirs)),
        ("/api/v2/projects", 2**31, not_found.format(2**31)),
        ("/v1/projects", "99999999999999999999", not_found.format(99999999999999999999)),
    ):
        refused(api.post(url, json={"title": "X", "template_id": value}), message)
    refused(
        api.post("/api/v2/projects", json={"title": "X", "template_id": template["id"], "board_id": other_board["id"]}),
        f"Validation failed: board_id: template {template['id']} is for board {template['projects_board_id']}",
    )
    body = {"title": "X", "template_id": template["id"], "start_date": "2026-02-01", "end_date": "2026-01-01"}
    refused(api.post("/api/v2/projects", json=body), "Validation failed: end_date: must not be before start_date")
    assert _counts(engine, company.company_id) == before


def test_a_deleted_template_is_neither_listed_nor_used(api, engine, company):
    template = onboarding(api)
    with engine.begin() as conn:
        conn.execute(project_templates.update().where(project_templates.c.id == template["id"]).values(is_deleted=True))
    assert [t["title"] for t in data(api.get("/api/v2/projectTemplates"))] == ["Service delivery"]
    error(api.get(f"/v1/projectTemplates/{template['id']}"), 404)
    refused(
        api.post("/api/v2/projects", json={"title": "X", "template_id": template["id"]}),
        f"Validation failed: template_id: Project template with id {template['id']} not found",
    )


def test_a_phase_deleted_since_leaves_its_tasks_in_the_plan_without_a_phase(api):
    template = onboarding(api)
    board = data(api.post("/api/v2/boards", json={"name": "Spare"}))
    assert board["id"] != template["projects_board_id"]
    _, _, done = phases_of(api, template["projects_board_id"])
    data(api.delete(f"/api/v2/phases/{done['id']}"))
    project = created(api.post("/api/v2/projects", json={"title": "P", "template_id": template["id"]}))
    plan = data(api.get(f"/v1/projects/{project['id']}/plan"))
    assert [p["phase_id"] is None for p in plan] == [False] * 4 + [True]
