"""Projects (v1 and v2): boards and phases, projects, archive, plan, lists, bad input."""

from __future__ import annotations

from factories import data, error, make_deal, make_field, make_org, make_person, refused


def created(response):
    return data(response, 201)


def board_and_phases(api) -> tuple[dict, list[dict]]:
    board = data(api.get("/api/v2/boards"))[0]
    phases = data(api.get("/api/v2/phases", params={"board_id": board["id"]}))
    return board, phases


def test_a_company_starts_with_a_board_and_its_phases(api):
    boards = data(api.get("/v1/projects/boards"))
    assert [(b["name"], b["order_nr"]) for b in boards] == [("Delivery", 1)]
    board = boards[0]
    phases = data(api.get("/v1/projects/phases", params={"board_id": board["id"]}))
    assert [p["name"] for p in phases] == ["Planning", "In progress", "Done"]
    assert all(p["board_id"] == board["id"] for p in phases)
    assert data(api.get(f"/v1/projects/phases/{phases[1]['id']}"))["name"] == "In progress"
    assert data(api.get(f"/api/v2/boards/{board['id']}"))["name"] == "Delivery"


def test_boards_and_phases_crud_v2(api):
    board = data(api.post("/api/v2/boards", json={"name": "Onboarding"}))
    assert board["order_nr"] == 2 and board["name"] == "Onboarding"
    phase = data(api.post("/api/v2/phases", json={"name": "Kickoff", "board_id": board["id"]}))
    assert phase["board_id"] == board["id"] and phase["order_nr"] == 1
    assert data(api.patch(f"/api/v2/phases/{phase['id']}", json={"name": "Kick-off"}))["name"] == "Kick-off"
    assert data(api.patch(f"/api/v2/boards/{board['id']}", json={"name": "Onboard"}))["name"] == "Onboard"
    project = created(api.post("/api/v2/projects", json={"title": "P", "board_id": board["id"]}))
    assert project["phase_id"] == phase["id"]
    assert "projects" in error(api.delete(f"/api/v2/phases/{phase['id']}"), 400)
    data(api.delete(f"/api/v2/projects/{project['id']}"))
    assert data(api.delete(f"/api/v2/boards/{board['id']}")) == {"id": board["id"]}
    error(api.get(f"/api/v2/boards/{board['id']}"), 404)
    error(api.get(f"/api/v2/phases/{phase['id']}"), 404)
    assert "board_id" in error(api.post("/api/v2/phases", json={"name": "X", "board_id": board["id"]}), 400)
    assert "board_id" in error(api.get("/api/v2/phases"), 400)
    _, phases = board_and_phases(api)
    assert "order_nr" in error(
        api.post("/api/v2/phases", json={"name": "X", "board_id": phases[0]["board_id"], "order_nr": 9}), 400
    )
    assert len(board_and_phases(api)[1]) == 3


def test_add_get_update_a_project_in_both_versions(api):
    board, phases = board_and_phases(api)
    deal, person, org = make_deal(api, title="D"), make_person(api, name="Pat"), make_org(api, name="Acme")
    made = created(
        api.post(
            "/api/v2/projects",
            json={
                "title": "Launch",
                "deal_ids": [deal["id"]],
                "person_ids": [person["id"]],
                "org_ids": [org["id"]],
                "start_date": "2026-01-01",
                "end_date": "2026-02-01",
                "label_ids": [3, 4],
            },
        )
    )
    assert made["title"] == "Launch" and made["status"] == "open"
    assert made["board_id"] == board["id"] and made["phase_id"] == phases[0]["id"]
    assert made["deal_ids"] == [deal["id"]] and made["person_ids"] == [person["id"]] and made["org_ids"] == [org["id"]]
    assert made["label_ids"] == [3, 4] and made["archive_time"] is None and made["custom_fields"] == {}
    assert made["add_time"].endswith("Z") and made["status_change_time"] == made["add_time"]
    v1 = data(api.get(f"/v1/projects/{made['id']}"))
    assert v1["person_id"] == person["id"] and v1["org_id"] == org["id"]
    assert v1["deal_ids"] == [deal["id"]] and v1["labels"] == [3, 4] and v1["start_date"] == "2026-01-01"
    changed = data(
        api.put(
            f"/v1/projects/{made['id']}", json={"status": "completed", "phase_id": phases[2]["id"], "person_id": None}
        )
    )
    assert changed["status"] == "completed" and changed["phase_id"] == phases[2]["id"] and changed["person_id"] is None
    v2 = data(api.get(f"/api/v2/projects/{made['id']}"))
    assert v2["person_ids"] == [] and v2["status"] == "completed" and v2["status_change_time"] >= v2["add_time"]
    added_v1 = created(api.post("/v1/projects", json={"title": "Old style", "org_id": org["id"], "labels": [1]}))
    assert added_v1["org_id"] == org["id"] and added_v1["labels"] == [1] and added_v1["phase_id"] == phases[0]["id"]
    assert data(api.get(f"/api/v2/projects/{added_v1['id']}"))["org_ids"] == [org["id"]]


def test_lists_archive_and_delete(api):
    a = created(api.post("/api/v2/projects", json={"title": "A"}))
    b = created(api.post("/api/v2/projects", json={"title": "B", "status": "canceled"}))
    c = created(api.post("/v1/projects", json={"title": "C"}))
    assert [p["id"] for p in data(api.get("/api/v2/projects"))] == [a["id"], b["id"], c["id"]]
    assert [p["id"] for p in data(api.get("/api/v2/projects", params={"status": "canceled"}))] == [b["id"]]
    archived = data(api.post(f"/api/v2/projects/{a['id']}/archive"))
    assert archived["archive_time"] is not None
    assert [p["id"] for p in data(api.get("/api/v2/projects"))] == [b["id"], c["id"]]
    assert [p["id"] for p in data(api.get("/api/v2/projects/archived"))] == [a["id"]]
    assert [p["id"] for p in data(api.get("/v1/projects"))] == [b["id"], c["id"]]
    assert len(data(api.get("/v1/projects", params={"include_archived": "true"}))) == 3
    page = api.get("/v1/projects", params={"limit": 1}).json()
    assert len(page["data"]) == 1 and page["additional_data"]["next_cursor"]
    second = api.get("/v1/projects", params={"limit": 1, "cursor": page["additional_data"]["next_cursor"]}).json()
    assert [p["id"] for p in second["data"]] == [c["id"]]
    assert data(api.delete(f"/v1/projects/{c['id']}")) == {"success": True, "data": {"id": c["id"]}}
    assert data(api.delete(f"/api/v2/projects/{b['id']}")) == {"id": b["id"]}
    assert data(api.get("/api/v2/projects")) == []
    assert [p["id"] for p in data(api.get("/api/v2/projects", params={"status": "deleted"}))] == [b["id"], c["id"]]
    error(api.patch(f"/api/v2/projects/{b['id']}", json={"title": "X"}), 404)
    # Status deleted deletes (and a new project cannot start deleted).
    d = created(api.post("/api/v2/projects", json={"title": "D"}))
    data(api.patch(f"/api/v2/projects/{d['id']}", json={"status": "deleted"}))
    assert d["id"] in [p["id"] for p in data(api.get("/api/v2/projects", params={"status": "deleted"}))]
    assert data(api.get("/api/v2/projects")) == []
    assert "status" in error(api.post("/api/v2/projects", json={"title": "E", "status": "deleted"}), 400)


def test_permitted_users_groups_plan_activities(api):
    project = created(api.post("/api/v2/projects", json={"title": "P"}))
    users = data(api.get("/api/v2/projects/{}/permittedUsers".format(project["id"])))
    assert users == [data(api.get("/v1/users/me"))["id"]]
    assert data(api.get(f"/v1/projects/{project['id']}/groups")) == []
    assert data(api.get(f"/v1/projects/{project['id']}/tasks")) == []
    activity = data(api.post("/api/v2/activities", json={"subject": "Kickoff", "project_id": project["id"]}))
    listed = data(api.get(f"/v1/projects/{project['id']}/activities"))
    assert [a["id"] for a in listed] == [activity["id"]] and listed[0]["project_id"] == project["id"]
    _, phases = board_and_phases(api)
    placed = data(
        api.put(f"/v1/projects/{project['id']}/plan/activities/{activity['id']}", json={"phase_id": phases[1]["id"]})
    )
    assert placed == {"item_id": activity["id"], "item_type": "activity", "phase_id": phases[1]["id"], "group_id": None}
    assert data(api.get(f"/v1/projects/{project['id']}/plan")) == [placed]
    error(api.put(f"/v1/projects/{project['id']}/plan/activities/999999", json={"phase_id": phases[1]["id"]}), 404)
    assert "phase_id" in error(
        api.put(f"/v1/projects/{project['id']}/plan/activities/{activity['id']}", json={"phase_id": "x"}), 400
    )


def test_bad_projects_are_4xx_and_write_nothing(api, other_api):
    assert "title" in error(api.post("/api/v2/projects", json={}), 400)
    assert "title" in error(api.post("/api/v2/projects", json={"title": 5}), 400)
    assert "status" in error(api.post("/api/v2/projects", json={"title": "X", "status": "done"}), 400)
    assert "deal" in error(api.post("/api/v2/projects", json={"title": "X", "deal_ids": [999999]}), 400).lower()
    assert "end_date" in error(
        api.post("/api/v2/projects", json={"title": "X", "start_date": "2026-02-01", "end_date": "2026-01-01"}), 400
    )
    assert "start_date" in error(api.post("/api/v2/projects", json={"title": "X", "start_date": "soon"}), 400)
    assert "title" in error(api.post("/v1/projects", json={"title": "x" * 300}), 400)
    other_board = data(other_api.get("/api/v2/boards"))[0]
    assert (
        "board" in error(api.post("/api/v2/projects", json={"title": "X", "board_id": other_board["id"]}), 400).lower()
    )
    board = data(api.post("/api/v2/boards", json={"name": "Second"}))
    data(api.post("/api/v2/phases", json={"name": "Only", "board_id": board["id"]}))
    _, phases = board_and_phases(api)
    assert "phase_id" in error(
        api.post("/api/v2/projects", json={"title": "X", "board_id": board["id"], "phase_id": phases[0]["id"]}), 400
    )
    assert data(api.get("/api/v2/projects")) == []
    mine = created(api.post("/api/v2/projects", json={"title": "Mine"}))
    error(other_api.get(f"/api/v2/projects/{mine['id']}"), 404)
    error(other_api.get(f"/v1/projects/{mine['id']}"), 404)
    error(other_api.patch(f"/api/v2/projects/{mine['id']}", json={"title": "Theirs"}), 404)
    error(other_api.delete(f"/api/v2/projects/{mine['id']}"), 404)
    assert data(other_api.get("/api/v2/projects")) == []
    assert "status" in error(api.get("/api/v2/projects", params={"status": "bogus"}), 400)
    error(api.get("/api/v2/projects/999999"), 404)


def test_projects_are_searched_alone_and_with_item_search(api):
    person = make_person(api, name="Robin")
    deal = make_deal(api, title="Big deal")
    found_me = created(
        api.post(
            "/api/v2/projects",
            json={"title": "Warehouse rollout", "person_ids": [person["id"]], "deal_ids": [deal["id"]]},
        )
    )
    created(api.post("/v1/projects", json={"title": "Other", "description": "warehouse shelving"}))
    hits = data(api.get("/api/v2/projects/search", params={"term": "rollout"}))["items"]
    assert [h["item"]["id"] for h in hits] == [found_me["id"]]
    item = hits[0]["item"]
    assert item["type"] == "project" and item["title"] == "Warehouse rollout" and item["status"] == "open"
    assert item["person"] == {"id": person["id"], "name": "Robin"} and item["deal"] == {
        "id": deal["id"],
        "title": "Big deal",
    }
    assert item["deal_count"] == 1 and item["phase"]["name"] == "Planning" and hits[0]["result_score"] > 0
    both = data(api.get("/api/v2/projects/search", params={"term": "warehouse"}))["items"]
    assert len(both) == 2 and both[0]["item"]["id"] == found_me["id"]  # the title outranks the description
    only_title = data(api.get("/api/v2/projects/search", params={"term": "warehouse", "fields": "title"}))["items"]
    assert [h["item"]["id"] for h in only_title] == [found_me["id"]]
    by_person = data(api.get("/api/v2/projects/search", params={"term": "warehouse", "person_id": person["id"]}))[
        "items"
    ]
    assert [h["item"]["id"] for h in by_person] == [found_me["id"]]
    mixed = data(api.get("/api/v2/itemSearch", params={"term": "rollout", "item_types": "project,deal"}))["items"]
    assert [(h["item"]["type"], h["item"]["id"]) for h in mixed] == [("project", found_me["id"])]
    v1 = data(api.get("/v1/itemSearch", params={"term": "rollout"}))["items"]
    assert [(h["item"]["type"], h["item"]["id"]) for h in v1] == [("project", found_me["id"])]
    data(api.patch(f"/api/v2/projects/{found_me['id']}", json={"title": "Depot"}))
    assert data(api.get("/api/v2/projects/search", params={"term": "rollout"}))["items"] == []
    data(api.delete(f"/api/v2/projects/{found_me['id']}"))
    assert data(api.get("/api/v2/projects/search", params={"term": "depot"}))["items"] == []
    assert "term" in error(api.get("/api/v2/projects/search", params={"term": "x"}), 400)
    assert "fields" in error(api.get("/api/v2/projects/search", params={"term": "xy", "fields": "email"}), 400)


def test_project_changelog_v2(api):
    _, phases = board_and_phases(api)
    project = created(api.post("/api/v2/projects", json={"title": "Alpha"}))
    error(api.get("/api/v2/projects/999999/changelog"), 404)
    assert data(api.get(f"/api/v2/projects/{project['id']}/changelog")) == []
    data(api.patch(f"/api/v2/projects/{project['id']}", json={"title": "Beta", "label_ids": [7]}))
    data(api.put(f"/v1/projects/{project['id']}", json={"phase_id": phases[1]["id"]}))
    entries = data(api.get(f"/api/v2/projects/{project['id']}/changelog"))
    assert [e["new_values"] for e in entries] == [{"phase_id": phases[1]["id"]}, {"title": "Beta", "label_ids": [7]}]
    assert entries[1]["old_values"] == {"title": "Alpha", "label_ids": []}
    assert entries[0]["old_values"] == {"phase_id": phases[0]["id"]}
    assert entries[0]["actor_user_id"] == data(api.get("/v1/users/me"))["id"] and entries[0]["time"].endswith("Z")
    page = api.get(f"/api/v2/projects/{project['id']}/changelog", params={"limit": 1}).json()
    assert page["data"] == entries[:1]
    rest = data(
        api.get(
            f"/api/v2/projects/{project['id']}/changelog", params={"cursor": page["additional_data"]["next_cursor"]}
        )
    )
    assert rest == entries[1:]


def test_project_fields_and_custom_values(api, other_api):
    codes = {f["field_code"]: f for f in data(api.get("/api/v2/projectFields", params={"limit": 500}))}
    assert {"title", "status", "phase_id", "deal_ids", "label_ids"} <= set(codes)
    assert codes["title"]["is_custom_field"] is False
    field = make_field(api, "project", "varchar", field_name="Budget code")
    enum = make_field(api, "project", "enum", options=[{"label": "Small"}, {"label": "Large"}])
    assert data(api.get(f"/api/v2/projectFields/{field['field_code']}"))["field_name"] == "Budget code"
    renamed = data(api.patch(f"/api/v2/projectFields/{field['field_code']}", json={"field_name": "Code"}))
    assert renamed["field_name"] == "Code"
    options = data(api.post(f"/api/v2/projectFields/{enum['field_code']}/options", json=[{"label": "Huge"}]))
    huge = [o for o in options if o["label"] == "Huge"][0]
    data(api.patch(f"/api/v2/projectFields/{enum['field_code']}/options", json=[{"id": huge["id"], "label": "XL"}]))
    small = enum["options"][0]["id"]
    project = created(
        api.post(
            "/api/v2/projects",
            json={"title": "Custom", "custom_fields": {field["field_code"]: "B-7", enum["field_code"]: small}},
        )
    )
    assert (
        project["custom_fields"][field["field_code"]] == "B-7" and project["custom_fields"][enum["field_code"]] == small
    )
    hits = data(api.get("/api/v2/projects/search", params={"term": "B-7", "fields": "custom_fields"}))["items"]
    assert [h["item"]["id"] for h in hits] == [project["id"]] and hits[0]["item"]["custom_fields"] == ["B-7"]
    assert "option id 999999" in error(
        api.post("/api/v2/projects", json={"title": "X", "custom_fields": {enum["field_code"]: 999999}}), 400
    )
    data(api.delete(f"/api/v2/projectFields/{enum['field_code']}/options", json=[{"id": huge["id"]}]))
    assert data(api.delete(f"/api/v2/projectFields/{field['field_code']}"))
    error(api.get(f"/api/v2/projectFields/{field['field_code']}"), 404)
    error(other_api.get(f"/api/v2/projectFields/{enum['field_code']}"), 404)


def test_tasks_in_both_versions(api, other_api):
    project = created(api.post("/api/v2/projects", json={"title": "With tasks"}))
    other = created(api.post("/api/v2/projects", json={"title": "Other"}))
    me = data(api.get("/v1/users/me"))["id"]
    task = created(
        api.post(
            "/api/v2/tasks",
            json={
                "title": "Plan",
                "project_id": project["id"],
                "done": 0,
                "milestone": 1,
                "assignee_id": me,
                "due_date": "2026-03-01",
            },
        )
    )
    assert task["title"] == "Plan" and task["is_done"] is False and task["is_milestone"] is True
    assert task["assignee_ids"] == [me] and task["creator_id"] == me and task["marked_as_done_time"] is None
    sub = created(
        api.post("/v1/tasks", json={"title": "Sub", "project_id": project["id"], "parent_task_id": task["id"]})
    )
    assert sub["parent_task_id"] == task["id"] and sub["done"] == 0 and sub["assignee_ids"] == []
    done = data(api.patch(f"/api/v2/tasks/{task['id']}", json={"done": 1}))
    assert done["is_done"] is True and done["marked_as_done_time"] is not None
    v1 = data(api.get(f"/v1/tasks/{task['id']}"))
    assert v1["done"] == 1 and v1["assignee_id"] == me and v1["due_date"] == "2026-03-01"
    assert [t["id"] for t in data(api.get(f"/v1/projects/{project['id']}/tasks"))] == [task["id"], sub["id"]]
    assert [t["id"] for t in data(api.get("/api/v2/tasks", params={"is_done": "true"}))] == [task["id"]]
    assert [t["id"] for t in data(api.get("/v1/tasks", params={"done": 0}))] == [sub["id"]]
    assert [t["id"] for t in data(api.get("/api/v2/tasks", params={"project_id": other["id"]}))] == []
    placed = data(api.put(f"/v1/projects/{project['id']}/plan/tasks/{task['id']}", json={}))
    assert placed["item_type"] == "task" and placed["item_id"] == task["id"]
    error(api.put(f"/v1/projects/{other['id']}/plan/tasks/{task['id']}", json={}), 404)
    assert "parent_task_id" in error(
        api.post("/api/v2/tasks", json={"title": "X", "project_id": other["id"], "parent_task_id": task["id"]}), 400
    )
    assert "project_id" in error(api.post("/api/v2/tasks", json={"title": "X"}), 400)
    assert "project" in error(api.post("/api/v2/tasks", json={"title": "X", "project_id": 999999}), 400).lower()
    assert "done" in error(api.post("/api/v2/tasks", json={"title": "X", "project_id": project["id"], "done": 5}), 400)
    error(other_api.get(f"/api/v2/tasks/{task['id']}"), 404)
    doomed = created(api.post("/api/v2/projects", json={"title": "Doomed"}))
    gone = created(api.post("/api/v2/tasks", json={"title": "Gone", "project_id": doomed["id"]}))
    data(api.delete(f"/api/v2/projects/{doomed['id']}"))
    error(api.get(f"/api/v2/tasks/{gone['id']}"), 404)
    assert data(api.delete(f"/v1/tasks/{sub['id']}")) == {"id": sub["id"]}
    assert data(api.delete(f"/api/v2/tasks/{task['id']}")) == {"id": task["id"]}
    assert data(api.get("/api/v2/tasks")) == []


def test_merging_deals_and_persons_moves_the_projects_references(api):
    a, b = make_person(api, name="A"), make_person(api, name="B")
    d1, d2 = make_deal(api, title="D1"), make_deal(api, title="D2")
    project = created(
        api.post("/api/v2/projects", json={"title": "P", "person_ids": [a["id"]], "deal_ids": [d1["id"], d2["id"]]})
    )
    data(api.put(f"/v1/persons/{a['id']}/merge", json={"merge_with_id": b["id"]}))
    data(api.put(f"/v1/deals/{d1['id']}/merge", json={"merge_with_id": d2["id"]}))
    got = data(api.get(f"/api/v2/projects/{project['id']}"))
    assert got["person_ids"] == [b["id"]] and got["deal_ids"] == [d2["id"]]
    assert data(api.get(f"/v1/projects/{project['id']}"))["person_id"] == b["id"]


def test_a_saved_project_filter_lists_its_projects(api):
    status_field = 954  # the v1 id of the status field (project system fields are numbered from 951)
    wanted = created(api.post("/api/v2/projects", json={"title": "Done one", "status": "completed"}))
    created(api.post("/api/v2/projects", json={"title": "Open one"}))
    conditions = {
        "glue": "and",
        "conditions": [
            {
                "glue": "and",
                "conditions": [
                    {"object": "project", "field_id": str(status_field), "operator": "=", "value": "completed"}
                ],
            },
            {"glue": "or", "conditions": []},
        ],
    }
    saved = data(api.post("/v1/filters", json={"name": "F", "type": "projects", "conditions": conditions}))
    listed = data(api.get("/api/v2/projects", params={"filter_id": saved["id"]}))
    assert [p["id"] for p in listed] == [wanted["id"]]
    assert [p["id"] for p in data(api.get("/v1/projects", params={"filter_id": saved["id"]}))] == [wanted["id"]]


def test_projects_and_tasks_keep_their_description_in_both_versions(api):
    project = created(api.post("/api/v2/projects", json={"title": "P", "description": "Roll-out plan"}))
    assert project["description"] == "Roll-out plan"
    task = created(
        api.post("/api/v2/tasks", json={"title": "T", "project_id": project["id"], "description": "First step"})
    )
    assert task["description"] == "First step"
    for kind, item, text in (("projects", project, "Roll-out plan"), ("tasks", task, "First step")):
        assert data(api.get(f"/api/v2/{kind}/{item['id']}"))["description"] == text
        assert data(api.get(f"/v1/{kind}/{item['id']}"))["description"] == text
        assert [x["description"] for x in data(api.get(f"/api/v2/{kind}"))] == [text]
        assert [x["description"] for x in data(api.get(f"/v1/{kind}"))] == [text]
        assert data(api.patch(f"/api/v2/{kind}/{item['id']}", json={"description": "v2"}))["description"] == "v2"
        assert data(api.put(f"/v1/{kind}/{item['id']}", json={"description": "v1"}))["description"] == "v1"
        assert data(api.get(f"/api/v2/{kind}/{item['id']}"))["description"] == "v1"
        assert data(api.patch(f"/api/v2/{kind}/{item['id']}", json={"description": None}))["description"] is None
    v1_task = created(api.post("/v1/tasks", json={"title": "U", "project_id": project["id"], "description": "old"}))
    assert data(api.get(f"/api/v2/tasks/{v1_task['id']}"))["description"] == "old"


def test_a_description_that_is_not_text_is_400_and_writes_nothing(api):
    project = created(api.post("/api/v2/projects", json={"title": "P", "description": "kept"}))
    task = created(api.post("/api/v2/tasks", json={"title": "T", "project_id": project["id"], "description": "kept"}))
    for kind, item in (("projects", project), ("tasks", task)):
        before = data(api.get(f"/api/v2/{kind}/{item['id']}"))
        refused(
            api.patch(f"/api/v2/{kind}/{item['id']}", json={"description": 5}),
            "Validation failed: description: must be a string",
        )
        assert data(api.get(f"/api/v2/{kind}/{item['id']}")) == before
    refused(
        api.post("/api/v2/projects", json={"title": "Q", "description": ["x"]}),
        "Validation failed: description: must be a string",
    )
    assert [p["id"] for p in data(api.get("/api/v2/projects"))] == [project["id"]]


def test_a_deleted_project_reads_with_status_deleted(api):
    kept = created(api.post("/api/v2/projects", json={"title": "Kept", "status": "completed"}))
    gone = created(api.post("/api/v2/projects", json={"title": "Gone", "status": "completed"}))
    old = created(api.post("/v1/projects", json={"title": "Old"}))
    assert data(api.delete(f"/api/v2/projects/{gone['id']}")) == {"id": gone["id"]}
    assert data(api.delete(f"/v1/projects/{old['id']}")) == {"success": True, "data": {"id": old["id"]}}
    for project in (gone, old):
        assert data(api.get(f"/api/v2/projects/{project['id']}"))["status"] == "deleted"
        assert data(api.get(f"/v1/projects/{project['id']}"))["status"] == "deleted"
    listed = data(api.get("/api/v2/projects", params={"status": "deleted"}))
    assert [(p["id"], p["status"]) for p in listed] == [(gone["id"], "deleted"), (old["id"], "deleted")]
    listed = data(api.get("/v1/projects", params={"status": "deleted,completed"}))
    assert [(p["id"], p["status"]) for p in listed] == [
        (kept["id"], "completed"),
        (gone["id"], "deleted"),
        (old["id"], "deleted"),
    ]


def test_field_objects_answer_a_string_description(api):
    for entity in ("deal", "person", "organization", "product", "project"):
        made = make_field(api, entity=entity)
        listed = data(api.get(f"/api/v2/{entity}Fields", params={"limit": 500}))
        assert listed and all(f["description"] == "" for f in listed), entity
        assert made["description"] == ""
        v1 = data(api.get(f"/v1/{entity}Fields", params={"limit": 500})) if entity != "project" else []
        assert all("description" not in f for f in v1)
    described = make_field(api, entity="deal", description="Why we ask")
    url = f"/api/v2/dealFields/{described['field_code']}"
    assert described["description"] == data(api.get(url))["description"] == "Why we ask"
    assert data(api.patch(url, json={"description": None}))["description"] == ""
    assert data(api.get(url))["description"] == ""


def test_plan_items_and_board_deletes_record_change_events(api, engine):
    """A plan item is a row of its own with its events: placed (create), moved (change),
    put again where it is (nothing); a board deleted takes its phases first, each with an event."""
    from sqlalchemy import select

    from dealbase.store.tables import change_events

    project = created(api.post("/api/v2/projects", json={"title": "P"}))
    activity = data(api.post("/api/v2/activities", json={"subject": "A", "project_id": project["id"]}))
    _, phases = board_and_phases(api)
    path = f"/v1/projects/{project['id']}/plan/activities/{activity['id']}"
    for phase in (phases[1], phases[2], phases[2]):
        data(api.put(path, json={"phase_id": phase["id"]}))
    board = data(api.post("/api/v2/boards", json={"name": "B"}))
    made = [data(api.post("/api/v2/phases", json={"name": n, "board_id": board["id"]})) for n in ("K", "L")]
    data(api.delete(f"/api/v2/boards/{board['id']}"))
    with engine.connect() as conn:
        rows = conn.execute(select(change_events).order_by(change_events.c.id)).mappings().all()
    plan = [(r["action"], r["entity_id"]) for r in rows if r["entity"] == "project_plan_item"]
    assert [action for action, _ in plan] == ["create", "change"] and plan[0][1] == plan[1][1]
    boards = ("project_board", "project_phase")
    deletes = [
        (r["entity"], r["action"], r["entity_id"]) for r in rows if r["entity"] in boards and r["action"] == "delete"
    ]
    assert deletes == [
        ("project_phase", "delete", made[0]["id"]),
        ("project_phase", "delete", made[1]["id"]),
        ("project_board", "delete", board["id"]),
    ]
