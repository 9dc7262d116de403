"""Products (v1 and v2): prices per currency, variations, images, duplicate, product fields
and custom values, the lists around a product, and bad input."""

from __future__ import annotations

from factories import data, error, make_deal, make_field, make_person, make_product

from dealbase.store import blobs


def _events(engine, entity):
    from sqlalchemy import select

    from dealbase.store.tables import change_events

    with engine.connect() as conn:
        rows = conn.execute(select(change_events).where(change_events.c.entity == entity)).mappings().all()
    return [dict(r) for r in rows]


# -- products ----------------------------------------------------------------------------


def test_v2_product_with_prices_in_several_currencies(api):
    made = make_product(
        api,
        name="Pencil",
        code="PEN",
        unit="pcs",
        tax=20,
        description="A mechanical pencil",
        prices=[
            {"currency": "EUR", "price": 5, "cost": 2, "direct_cost": 1, "notes": "retail"},
            {"currency": "usd", "price": 5.5},
        ],
    )
    assert made["name"] == "Pencil" and made["code"] == "PEN" and made["unit"] == "pcs" and made["tax"] == 20
    assert made["is_linkable"] is True and made["is_deleted"] is False and made["visible_to"] == 3
    assert made["billing_frequency"] == "one-time" and made["billing_frequency_cycles"] is None
    assert made["owner_id"] == 1 and made["custom_fields"] == {}
    assert made["prices"] == [
        {"product_id": made["id"], "price": 5, "currency": "EUR", "cost": 2, "direct_cost": 1, "notes": "retail"},
        {"product_id": made["id"], "price": 5.5, "currency": "USD", "cost": 0, "direct_cost": None, "notes": None},
    ]
    got = data(api.get(f"/api/v2/products/{made['id']}"))
    assert got == made
    # PATCH replaces the whole price list.
    patched = data(api.patch(f"/api/v2/products/{made['id']}", json={"prices": [{"currency": "GBP", "price": 4}]}))
    assert [(p["currency"], p["price"]) for p in patched["prices"]] == [("GBP", 4)]
    assert patched["update_time"] >= made["update_time"]


def test_a_product_without_prices_gets_zero_in_the_callers_currency(api):
    made = make_product(api)
    assert [(p["currency"], p["price"], p["cost"]) for p in made["prices"]] == [("USD", 0, 0)]


def test_v1_product_shape_and_both_versions_see_the_same_row(api):
    made = data(
        api.post(
            "/v1/products",
            json={
                "name": "Eraser",
                "selectable": "0",
                "visible_to": "1",
                "prices": [{"currency": "EUR", "price": "2.5", "overhead_cost": 1}],
            },
        ),
        201,
    )
    assert made["selectable"] is False and made["active_flag"] is True and made["visible_to"] == "1"
    assert made["owner_id"]["id"] == 1 and made["owner_id"]["value"] == 1 and made["first_char"] == "e"
    price = made["prices"][0]
    assert price["currency"] == "EUR" and price["price"] == 2.5 and price["overhead_cost"] == 1 and price["id"] > 0
    v2 = data(api.get(f"/api/v2/products/{made['id']}"))
    assert v2["is_linkable"] is False and v2["visible_to"] == 1 and v2["prices"][0]["direct_cost"] == 1
    updated = data(api.put(f"/v1/products/{made['id']}", json={"name": "Big eraser", "tax": "9"}))
    assert updated["name"] == "Big eraser" and updated["tax"] == 9 and updated["prices"][0]["price"] == 2.5
    # v1's active_flag: false deletes.
    assert data(api.put(f"/v1/products/{made['id']}", json={"active_flag": "0"}))["active_flag"] is False
    assert data(api.get(f"/api/v2/products/{made['id']}"))["is_deleted"] is True
    assert "active_flag" in error(api.post("/v1/products", json={"name": "X", "active_flag": "maybe"}), 400)


def test_lists_filters_paging_and_delete(api):
    a = make_product(api, name="Alpha")
    b = make_product(api, name="Beta")
    c = make_product(api, name="Gamma")
    page = api.get("/api/v2/products", params={"limit": 2, "sort_by": "name", "sort_direction": "desc"}).json()
    assert [p["name"] for p in page["data"]] == ["Gamma", "Beta"]
    rest = api.get(
        "/api/v2/products",
        params={
            "limit": 2,
            "sort_by": "name",
            "sort_direction": "desc",
            "cursor": page["additional_data"]["next_cursor"],
        },
    ).json()
    assert [p["name"] for p in rest["data"]] == ["Alpha"] and rest["additional_data"]["next_cursor"] is None
    assert [p["id"] for p in data(api.get("/api/v2/products", params={"ids": f"{a['id']},{c['id']}"}))] == [
        a["id"],
        c["id"],
    ]
    assert data(api.delete(f"/api/v2/products/{b['id']}")) == {"id": b["id"]}
    assert data(api.get(f"/api/v2/products/{b['id']}"))["is_deleted"] is True
    assert [p["name"] for p in data(api.get("/api/v2/products"))] == ["Alpha", "Gamma"]
    v1 = api.get("/v1/products", params={"first_char": "g", "get_summary": 1}).json()
    assert [p["name"] for p in v1["data"]] == ["Gamma"]
    assert v1["additional_data"]["summary"]["total_count"] == 1
    assert [p["id"] for p in data(api.get("/v1/products", params={"ids": f"{c['id']},{a['id']}"}))] == [
        a["id"],
        c["id"],
    ]
    assert data(api.get("/v1/products", params={"user_id": 999})) is None
    assert data(api.delete(f"/v1/products/{a['id']}")) == {"id": a["id"]}
    assert data(api.get(f"/v1/products/{a['id']}"))["active_flag"] is False
    error(api.patch(f"/api/v2/products/{a['id']}", json={"name": "X"}), 404)


def test_billing_frequency_rules(api):
    made = make_product(api, billing_frequency="monthly", billing_frequency_cycles=12)
    assert made["billing_frequency"] == "monthly" and made["billing_frequency_cycles"] == 12
    once = data(api.patch(f"/api/v2/products/{made['id']}", json={"billing_frequency": "one-time"}))
    assert once["billing_frequency_cycles"] is None
    assert "billing_frequency_cycles" in error(
        api.post("/api/v2/products", json={"name": "W", "billing_frequency": "weekly"}), 400
    )
    assert "billing_frequency_cycles" in error(
        api.post("/api/v2/products", json={"name": "O", "billing_frequency_cycles": 3}), 400
    )
    assert "208" in error(
        api.post(
            "/api/v2/products", json={"name": "M", "billing_frequency": "monthly", "billing_frequency_cycles": 209}
        ),
        400,
    )


def test_bad_product_input_writes_nothing(api, other_api, engine):
    before = len(data(api.get("/api/v2/products")) or [])
    assert "name" in error(api.post("/api/v2/products", json={"code": "X"}), 400)
    assert "tax" in error(api.post("/api/v2/products", json={"name": "X", "tax": "5"}), 400)
    assert "currency" in error(
        api.post("/api/v2/products", json={"name": "X", "prices": [{"currency": "ABC", "price": 1}]}), 400
    )
    assert "one price per currency" in error(
        api.post("/api/v2/products", json={"name": "X", "prices": [{"currency": "EUR"}, {"currency": "eur"}]}), 400
    )
    assert "price" in error(
        api.post("/api/v2/products", json={"name": "X", "prices": [{"currency": "EUR", "price": "1"}]}), 400
    )
    assert "prices" in error(api.post("/api/v2/products", json={"name": "X", "prices": {"currency": "EUR"}}), 400)
    assert "owner_id" in error(api.post("/api/v2/products", json={"name": "X", "owner_id": 999}), 400)
    assert "visible_to" in error(api.post("/api/v2/products", json={"name": "X", "visible_to": 2}), 400)
    assert "name" in error(api.post("/api/v2/products", json={"name": "x" * 256}), 400)
    assert len(data(api.get("/api/v2/products")) or []) == before
    assert _events(engine, "product") == []
    # Another company's product is not there.
    mine = make_product(api)
    error(other_api.get(f"/api/v2/products/{mine['id']}"), 404)
    error(other_api.patch(f"/api/v2/products/{mine['id']}", json={"name": "Stolen"}), 404)
    error(other_api.delete(f"/v1/products/{mine['id']}"), 404)
    assert data(other_api.get("/api/v2/products")) == []
    error(api.get("/api/v2/products/abc"), 400)


def test_writes_record_change_events(api, engine):
    made = make_product(api, prices=[{"currency": "EUR", "price": 3}])
    data(api.patch(f"/api/v2/products/{made['id']}", json={"prices": [{"currency": "EUR", "price": 4}]}))
    data(api.patch(f"/api/v2/products/{made['id']}", json={"prices": [{"currency": "EUR", "price": 4}]}))
    events = _events(engine, "product")
    assert [e["action"] for e in events] == ["create", "change"]  # the same prices again change nothing
    assert '"price":4' in events[1]["changes"]


# -- variations ----------------------------------------------------------------------------


def test_variations_with_their_own_prices(api, other_api):
    product = make_product(api)
    pid = product["id"]
    big = data(
        api.post(
            f"/api/v2/products/{pid}/variations",
            json={"name": "Big", "prices": [{"currency": "EUR", "price": 9, "cost": 4}]},
        ),
        201,
    )
    assert big["name"] == "Big" and big["product_id"] == pid
    assert big["prices"] == [
        {
            "product_variation_id": big["id"],
            "price": 9,
            "currency": "EUR",
            "cost": 4,
            "direct_cost": None,
            "notes": None,
        }
    ]
    small = data(api.post(f"/api/v2/products/{pid}/variations", json={"name": "Small"}), 201)
    assert [(p["currency"], p["price"], p["direct_cost"]) for p in small["prices"]] == [("USD", 0, 0)]
    listed = api.get(f"/api/v2/products/{pid}/variations", params={"limit": 1}).json()
    assert [v["name"] for v in listed["data"]] == ["Big"]
    more = api.get(
        f"/api/v2/products/{pid}/variations", params={"cursor": listed["additional_data"]["next_cursor"]}
    ).json()
    assert [v["name"] for v in more["data"]] == ["Small"]
    renamed = data(
        api.patch(
            f"/api/v2/products/{pid}/variations/{big['id']}",
            json={"name": "Huge", "prices": [{"currency": "GBP", "price": 8}]},
        )
    )
    assert renamed["name"] == "Huge" and [p["currency"] for p in renamed["prices"]] == ["GBP"]
    # The product's own prices are not the variations'.
    assert [p["currency"] for p in data(api.get(f"/api/v2/products/{pid}"))["prices"]] == ["USD"]
    assert data(api.delete(f"/api/v2/products/{pid}/variations/{small['id']}")) == {"id": small["id"]}
    assert [v["name"] for v in data(api.get(f"/api/v2/products/{pid}/variations"))] == ["Huge"]
    other = make_product(api)
    error(api.patch(f"/api/v2/products/{other['id']}/variations/{big['id']}", json={"name": "X"}), 404)
    assert "name" in error(api.post(f"/api/v2/products/{pid}/variations", json={}), 400)
    error(other_api.get(f"/api/v2/products/{pid}/variations"), 404)


def test_duplicate_copies_prices_variations_and_custom_values(api):
    field = make_field(api, "product", "varchar")
    product = make_product(
        api, name="Kit", prices=[{"currency": "EUR", "price": 10}], custom_fields={field["field_code"]: "blue"}
    )
    data(
        api.post(
            f"/api/v2/products/{product['id']}/variations",
            json={"name": "XL", "prices": [{"currency": "EUR", "price": 12}]},
        ),
        201,
    )
    copy = data(api.post(f"/api/v2/products/{product['id']}/duplicate"), 201)
    assert copy["id"] != product["id"] and copy["name"] == "Kit"
    assert copy["custom_fields"] == {field["field_code"]: "blue"}
    assert [(p["product_id"], p["currency"], p["price"]) for p in copy["prices"]] == [(copy["id"], "EUR", 10)]
    variations = data(api.get(f"/api/v2/products/{copy['id']}/variations"))
    assert [(v["name"], v["prices"][0]["price"]) for v in variations] == [("XL", 12)]
    error(api.post("/api/v2/products/999999/duplicate"), 404)


# -- images --------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(api, method: str, url: str, filename: str, content: bytes, content_type: str):
    """A multipart/form-data request with one ``data`` file part."""
    boundary = "dealbase-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    return api.request(method, url, content=body, headers=headers)


def test_image_upload_get_update_delete(api, app, client):
    product = make_product(api)
    url = f"/api/v2/products/{product['id']}/images"
    error(api.get(url), 404)
    made = data(upload(api, "POST", url, "pencil.png", PNG, "image/png"), 201)
    assert made["product_id"] == product["id"] and made["company_id"] == "1" and made["add_time"]
    got = data(api.get(url))
    assert got["id"] == made["id"] and got["name"] == "pencil.png" and got["mime_type"] == "image/png"
    key = got["public_url"].rsplit("/", 1)[-1]
    assert blobs.read(app.settings.files_dir, 1, key) == PNG
    assert "already has an image" in error(upload(api, "POST", url, "again.png", PNG, "image/png"), 400)
    replaced = data(upload(api, "PUT", url, "pen.jpg", b"\xff\xd8jpeg", "image/jpeg"))
    assert replaced["id"] == made["id"]
    again = data(api.get(url))
    assert again["name"] == "pen.jpg" and again["mime_type"] == "image/jpeg"
    assert blobs.read(app.settings.files_dir, 1, again["public_url"].rsplit("/", 1)[-1]) == b"\xff\xd8jpeg"
    assert blobs.read(app.settings.files_dir, 1, key) is None  # the old bytes are gone
    assert data(api.delete(url)) == {"id": made["id"]}
    error(api.get(url), 404)
    error(api.delete(url), 404)


def test_bad_images_are_400(api, other_api):
    product = make_product(api)
    url = f"/api/v2/products/{product['id']}/images"
    assert "data" in error(upload(api, "POST", url, "notes.txt", b"hello", "text/plain"), 400)
    assert "data" in error(api.post(url, json={"data": "abc"}), 400)
    error(upload(api, "PUT", url, "a.png", PNG, "image/png"), 404)
    error(upload(other_api, "POST", url, "a.png", PNG, "image/png"), 404)
    error(api.get(url), 404)


# -- product fields and custom values ----------------------------------------------------


def test_product_fields_in_both_versions_and_values_in_both_shapes(api):
    system = data(api.get("/api/v2/productFields"))
    assert {"name", "code", "prices"} & {f["field_code"] for f in system} >= {"name", "code"}
    size = make_field(api, "product", "enum", options=[{"label": "S"}, {"label": "L"}])
    weight = data(api.post("/v1/productFields", json={"name": "Weight", "field_type": "double"}), 201)
    assert weight["key"] and weight["edit_flag"] is True
    codes = [f["field_code"] for f in data(api.get("/api/v2/productFields")) if f["is_custom_field"]]
    assert codes == [size["field_code"], weight["key"]]
    large = size["options"][1]["id"]
    made = make_product(api, custom_fields={size["field_code"]: large, weight["key"]: 1.5})
    assert made["custom_fields"] == {size["field_code"]: large, weight["key"]: 1.5}
    v1 = data(api.get(f"/v1/products/{made['id']}"))
    assert v1[size["field_code"]] == str(large) and v1[weight["key"]] == 1.5
    # v1 writes flat keys; v2 reads them back.
    data(api.put(f"/v1/products/{made['id']}", json={weight["key"]: "2"}))
    assert data(api.get(f"/api/v2/products/{made['id']}"))["custom_fields"][weight["key"]] == 2
    labelled = data(api.get(f"/api/v2/products/{made['id']}", params={"include_option_labels": "true"}))
    assert labelled["custom_fields"][size["field_code"]] == {"id": large, "label": "L"}
    # Options, update and delete through the shared fields API.
    added = data(api.post(f"/api/v2/productFields/{size['field_code']}/options", json=[{"label": "M"}]))
    assert [o["label"] for o in added] == ["M"]
    data(api.patch(f"/api/v2/productFields/{size['field_code']}", json={"field_name": "Size"}))
    assert data(api.get(f"/v1/productFields/{data(api.get('/v1/productFields'))[-2]['id']}"))["name"] == "Size"
    assert data(api.delete("/v1/productFields", params={"ids": str(weight["id"])})) == {"id": [weight["id"]]}
    assert weight["key"] not in data(api.get(f"/api/v2/products/{made['id']}"))["custom_fields"]
    assert error(api.get("/v1/productFields/999999"), 410) == "The field is not found"
    error(api.get("/v1/dealFields/999999"), 404)  # only product fields are gone for good
    assert "unknown custom field" in error(
        api.post("/api/v2/products", json={"name": "X", "custom_fields": {"nope": 1}}), 400
    )


# -- lists around a product (v1) -----------------------------------------------------------


def test_product_deals_users_and_person_products(api):
    person = make_person(api)
    product = make_product(api, name="Widget")
    deal = make_deal(api, person_id=person["id"])
    other = make_deal(api)
    data(
        api.post(
            f"/api/v2/deals/{deal['id']}/products", json={"product_id": product["id"], "item_price": 10, "quantity": 2}
        ),
        201,
    )
    deals = data(api.get(f"/v1/products/{product['id']}/deals"))
    assert [d["id"] for d in deals] == [deal["id"]] and other["id"] not in [d["id"] for d in deals]
    assert data(api.get(f"/v1/products/{product['id']}/permittedUsers")) == [1]
    items = data(api.get(f"/v1/persons/{person['id']}/products"))
    assert len(items) == 1
    entry = items[0][str(deal["id"])]
    assert entry["deal"]["id"] == deal["id"] and entry["deal"]["value"] == 20
    assert entry["product"]["id"] == product["id"] and entry["product"]["name"] == "Widget"
    assert data(api.get(f"/v1/persons/{make_person(api)['id']}/products")) is None
    error(api.get("/v1/products/999999/deals"), 404)


def test_permitted_users_follow_the_visibility(api, engine):
    from sqlalchemy import insert

    from dealbase.store.tables import users

    with engine.begin() as conn:
        row = {"company_id": 1, "name": "Sam Seller", "email": "sam@acme.test", "is_admin": False}
        sam = conn.execute(
            insert(users).values(**row, created="2026-01-01 00:00:00").returning(users.c.id)
        ).scalar_one()
    shared = make_product(api, visible_to=3)
    assert data(api.get(f"/v1/products/{shared['id']}/permittedUsers")) == [1, sam]
    private = make_product(api, visible_to=1, owner_id=sam)
    assert data(api.get(f"/v1/products/{private['id']}/permittedUsers")) == [1, sam]
    mine = make_product(api, visible_to=1)
    assert data(api.get(f"/v1/products/{mine['id']}/permittedUsers")) == [1]
