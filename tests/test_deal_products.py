"""Products on deals (v1 and v2): sums with discounts and tax, the deal's products_count and
value, bulk add and delete, additional discounts, installments, and bad input."""

from __future__ import annotations

import pytest

from dealbase.domain import service
from dealbase.domain.deal_products import DEAL_PRODUCT
from dealbase.domain.unit import Input, Unit
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import users

from conftest import TOKEN, Api
from factories import data, error, make_deal, make_product, refused


def attach(api, deal_id, product_id, **fields):
    body = {"product_id": product_id, "item_price": 100, "quantity": 1, **fields}
    return data(api.post(f"/api/v2/deals/{deal_id}/products", json=body), 201)


def deal_v2(api, deal_id):
    return data(api.get(f"/api/v2/deals/{deal_id}", params={"include_fields": "products_count"}))


def test_sum_with_discounts_and_tax_methods(api):
    product = make_product(api)
    deal = make_deal(api, currency="EUR")
    plain = attach(api, deal["id"], product["id"], item_price=10, quantity=3)
    assert plain["sum"] == 30 and plain["currency"] == "EUR" and plain["deal_id"] == deal["id"]
    assert plain["discount"] == 0 and plain["discount_type"] == "percentage" and plain["tax_method"] == "exclusive"
    assert plain["is_enabled"] is True and plain["comments"] == "" and plain["order_nr"] == 1
    assert plain["name"] == product["name"] and plain["billing_frequency"] == "one-time"
    # 10 % off 200, then 20 % tax on top (exclusive): 180 × 1.2
    taxed = attach(api, deal["id"], product["id"], item_price=100, quantity=2, discount=10, tax=20)
    assert taxed["sum"] == 216 and taxed["order_nr"] == 2
    # An amount off, no tax on top when the tax is included in the price.
    amount = data(
        api.patch(
            f"/api/v2/deals/{deal['id']}/products/{taxed['id']}",
            json={"discount": 50, "discount_type": "amount", "tax_method": "inclusive"},
        )
    )
    assert amount["sum"] == 150 and amount["tax_method"] == "inclusive"
    # One tax method per deal: the other line follows.
    lines = data(api.get(f"/api/v2/deals/{deal['id']}/products"))
    assert [line["tax_method"] for line in lines] == ["inclusive", "inclusive"]
    assert [line["sum"] for line in lines] == [30, 150]


def test_deal_value_and_products_count_follow_the_products(api, engine):
    product = make_product(api)
    deal = make_deal(api, value=999)
    a = attach(api, deal["id"], product["id"], item_price=50, quantity=2)
    b = attach(api, deal["id"], product["id"], item_price=25, quantity=1)
    shown = deal_v2(api, deal["id"])
    assert shown["value"] == 125 and shown["products_count"] == 2
    v1 = data(api.get(f"/v1/deals/{deal['id']}"))
    assert v1["value"] == 125 and v1["products_count"] == 2
    # A disabled line does not count towards the value.
    data(api.patch(f"/api/v2/deals/{deal['id']}/products/{b['id']}", json={"is_enabled": False}))
    assert deal_v2(api, deal["id"])["value"] == 100
    # Recurring lines count over their cycles.
    monthly = attach(
        api, deal["id"], product["id"], item_price=10, billing_frequency="monthly", billing_frequency_cycles=6
    )
    shown = deal_v2(api, deal["id"])
    assert shown["value"] == 160 and shown["mrr"] == 10 and shown["arr"] == 120 and shown["acv"] == 160
    v1 = data(api.get(f"/v1/deals/{deal['id']}"))
    assert v1["mrr"] == 10 and v1["arr"] == 120 and v1["arr_currency"] == deal["currency"]
    # Until cancelled: a 12-month term (ARR and ACV alike).
    yearly = attach(api, deal["id"], product["id"], item_price=240, billing_frequency="annually")
    shown = deal_v2(api, deal["id"])
    assert shown["value"] == 400 and shown["mrr"] == 30 and shown["arr"] == 360 and shown["acv"] == 400
    data(api.delete(f"/api/v2/deals/{deal['id']}/products/{yearly['id']}"))
    assert data(api.delete(f"/api/v2/deals/{deal['id']}/products/{monthly['id']}")) == {"id": monthly["id"]}
    assert deal_v2(api, deal["id"])["mrr"] is None and deal_v2(api, deal["id"])["acv"] == 100
    assert deal_v2(api, deal["id"])["products_count"] == 2
    data(api.delete(f"/api/v2/deals/{deal['id']}/products/{a['id']}"))
    assert deal_v2(api, deal["id"])["products_count"] == 1
    # The value change is a change of the deal, with its event.
    from sqlalchemy import select

    from dealbase.store.tables import change_events

    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(change_events).where(change_events.c.entity == "deal", change_events.c.entity_id == deal["id"])
            )
            .mappings()
            .all()
        )
    assert any('"value":[999.0,100' in (r["changes"] or "") or '"value":[999,100' in (r["changes"] or "") for r in rows)


def test_v1_deal_products(api):
    product = make_product(api, name="Gadget", prices=[{"currency": "EUR", "price": 7}])
    deal = make_deal(api, currency="EUR")
    made = data(
        api.post(
            f"/v1/deals/{deal['id']}/products",
            json={
                "product_id": product["id"],
                "item_price": "7",
                "quantity": "4",
                "enabled_flag": "1",
                "comments": "x",
            },
        )
    )
    assert made["product_attachment_id"] == made["id"] and made["sum"] == 28 and made["enabled_flag"] is True
    assert made["name"] == "Gadget" and made["last_edit"] and made["active_flag"] is True
    updated = data(api.put(f"/v1/deals/{deal['id']}/products/{made['id']}", json={"quantity": 5, "discount": 10}))
    assert updated["sum"] == 31.5 and updated["quantity"] == 5
    listed = api.get(f"/v1/deals/{deal['id']}/products", params={"include_product_data": 1}).json()
    assert [p["id"] for p in listed["data"]] == [made["id"]]
    assert listed["data"][0]["sum_formatted"] == "€31.50" and listed["data"][0]["product"]["name"] == "Gadget"
    extra = listed["additional_data"]
    assert extra["products_quantity_total"] == 5 and extra["products_sum_total_formatted"] == "€31.50"
    assert extra["pagination"]["more_items_in_collection"] is False
    assert data(api.get(f"/v1/deals/{deal['id']}"))["value"] == 31.5
    assert data(api.delete(f"/v1/deals/{deal['id']}/products/{made['id']}")) == {"id": made["id"]}
    assert api.get(f"/v1/deals/{deal['id']}/products").json()["data"] is None


def test_bulk_add_list_across_deals_and_bulk_delete(api):
    product = make_product(api)
    deal = make_deal(api)
    other = make_deal(api)
    made = data(
        api.post(
            f"/api/v2/deals/{deal['id']}/products/bulk",
            json={"data": [{"product_id": product["id"], "item_price": i, "quantity": 1} for i in (1, 2, 3)]},
        ),
        201,
    )
    assert [m["sum"] for m in made] == [1, 2, 3] and [m["order_nr"] for m in made] == [1, 2, 3]
    attach(api, other["id"], product["id"], item_price=9)
    both = data(
        api.get(
            "/api/v2/deals/products",
            params={"deal_ids": f"{deal['id']},{other['id']}", "sort_by": "deal_id", "sort_direction": "desc"},
        )
    )
    assert [p["deal_id"] for p in both] == [other["id"], deal["id"], deal["id"], deal["id"]]
    page = api.get(
        "/api/v2/deals/products", params={"deal_ids": str(deal["id"]), "limit": 2, "sort_by": "deal_id"}
    ).json()
    assert len(page["data"]) == 2
    rest = api.get(
        "/api/v2/deals/products",
        params={
            "deal_ids": str(deal["id"]),
            "limit": 2,
            "sort_by": "deal_id",
            "cursor": page["additional_data"]["next_cursor"],
        },
    ).json()
    assert [p["id"] for p in rest["data"]] == [made[2]["id"]]
    # All or nothing.
    bad = {
        "data": [
            {"product_id": product["id"], "item_price": 1, "quantity": 1},
            {"product_id": 999999, "item_price": 1, "quantity": 1},
        ]
    }
    assert "data[1]" in error(api.post(f"/api/v2/deals/{deal['id']}/products/bulk", json=bad), 400)
    bad["data"][1] = {"product_id": product["id"], "item_price": 1, "quantity": 0}  # refused by the domain's rules
    assert error(api.post(f"/api/v2/deals/{deal['id']}/products/bulk", json=bad), 400) == (
        "data[1]: Validation failed: quantity: must be greater than 0"
    )
    assert deal_v2(api, deal["id"])["products_count"] == 3
    gone = api.delete(f"/api/v2/deals/{deal['id']}/products", params={"ids": str(made[0]["id"])}).json()
    assert gone["data"] == {"ids": [made[0]["id"]]}
    rest_gone = api.delete(f"/api/v2/deals/{deal['id']}/products").json()
    assert sorted(rest_gone["data"]["ids"]) == [made[1]["id"], made[2]["id"]]
    shown = deal_v2(api, deal["id"])
    assert shown["products_count"] == 0 and shown["value"] == 5  # the value stays when the products go
    error(api.delete(f"/api/v2/deals/{deal['id']}/products", params={"ids": "999999"}), 404)
    too_many = {"data": [{"product_id": product["id"], "item_price": 1, "quantity": 1}] * 101}
    assert "100" in error(api.post(f"/api/v2/deals/{deal['id']}/products/bulk", json=too_many), 400)
    many_ids = ",".join(str(i) for i in range(1, 102))
    error(api.delete(f"/api/v2/deals/{deal['id']}/products", params={"ids": many_ids}), 400)
    assert deal_v2(api, deal["id"])["products_count"] == 0


def test_additional_discounts_change_the_value(api):
    product = make_product(api)
    deal = make_deal(api)
    attach(api, deal["id"], product["id"], item_price=200, quantity=1)
    ten = data(
        api.post(
            f"/api/v2/deals/{deal['id']}/discounts", json={"description": "Loyal", "amount": 10, "type": "percentage"}
        ),
        201,
    )
    assert (
        ten["deal_id"] == deal["id"] and ten["type"] == "percentage" and ten["created_by"] == 1 and len(ten["id"]) == 36
    )
    assert deal_v2(api, deal["id"])["value"] == 180
    off = data(
        api.post(
            f"/api/v2/deals/{deal['id']}/discounts", json={"description": "Promo", "amount": 30, "type": "amount"}
        ),
        201,
    )
    assert deal_v2(api, deal["id"])["value"] == 150
    assert [d["description"] for d in data(api.get(f"/api/v2/deals/{deal['id']}/discounts"))] == ["Loyal", "Promo"]
    changed = data(api.patch(f"/api/v2/deals/{deal['id']}/discounts/{ten['id']}", json={"amount": 50}))
    assert changed["amount"] == 50 and deal_v2(api, deal["id"])["value"] == 70
    # The spec gives this answer's id as an integer while every discount id is a UUID: the
    # UUID is what it answers, so this one response is not checked against the schema.
    unchecked = Api(api.client, TOKEN, check_schema=False)
    assert data(unchecked.delete(f"/api/v2/deals/{deal['id']}/discounts/{off['id']}")) == {"id": off["id"]}
    assert deal_v2(api, deal["id"])["value"] == 100
    assert "amount" in error(
        api.post(
            f"/api/v2/deals/{deal['id']}/discounts", json={"description": "X", "amount": 120, "type": "percentage"}
        ),
        400,
    )
    assert "type" in error(
        api.post(f"/api/v2/deals/{deal['id']}/discounts", json={"description": "X", "amount": 1, "type": "free"}), 400
    )
    assert "description" in error(
        api.post(f"/api/v2/deals/{deal['id']}/discounts", json={"amount": 1, "type": "amount"}), 400
    )
    error(
        api.patch(f"/api/v2/deals/{deal['id']}/discounts/00000000-0000-4000-8000-000000000000", json={"amount": 1}), 404
    )


def test_installments_only_for_one_time_products(api):
    product = make_product(api)
    deal = make_deal(api)
    assert "products" in error(
        api.post(
            f"/api/v2/deals/{deal['id']}/installments",
            json={"description": "1st", "amount": 50, "billing_date": "2026-01-01"},
        ),
        400,
    )
    line = attach(api, deal["id"], product["id"], item_price=100)
    first = data(
        api.post(
            f"/api/v2/deals/{deal['id']}/installments",
            json={"description": "1st", "amount": 50, "billing_date": "2026-01-01"},
        )
    )
    assert first == {
        "id": first["id"],
        "amount": 50,
        "billing_date": "2026-01-01",
        "description": "1st",
        "deal_id": deal["id"],
    }
    second = data(
        api.post(
            f"/api/v2/deals/{deal['id']}/installments",
            json={"description": "2nd", "amount": 50, "billing_date": "2025-06-01"},
        )
    )
    listed = data(
        api.get("/api/v2/deals/installments", params={"deal_ids": str(deal["id"]), "sort_by": "billing_date"})
    )
    assert [i["id"] for i in listed] == [second["id"], first["id"]]
    moved = data(
        api.patch(f"/api/v2/deals/{deal['id']}/installments/{second['id']}", json={"billing_date": "2027-01-01"})
    )
    assert moved["billing_date"] == "2027-01-01" and moved["amount"] == 50
    # With installments, no recurring product and not the last enabled one disabled or removed.
    assert "recurring" in error(
        api.post(
            f"/api/v2/deals/{deal['id']}/products",
            json={"product_id": product["id"], "item_price": 1, "quantity": 1, "billing_frequency": "monthly"},
        ),
        400,
    )
    assert "installments" in error(
        api.patch(f"/api/v2/deals/{deal['id']}/products/{line['id']}", json={"is_enabled": False}), 400
    )
    assert "installments" in error(api.delete(f"/api/v2/deals/{deal['id']}/products/{line['id']}"), 400)
    assert data(api.delete(f"/api/v2/deals/{deal['id']}/installments/{first['id']}")) == {"id": first["id"]}
    assert [i["id"] for i in data(api.get("/api/v2/deals/installments", params={"deal_ids": str(deal["id"])}))] == [
        second["id"]
    ]
    # A deal with a recurring product takes no installments.
    recurring_deal = make_deal(api)
    attach(api, recurring_deal["id"], product["id"], billing_frequency="monthly", billing_frequency_cycles=3)
    assert "recurring" in error(
        api.post(
            f"/api/v2/deals/{recurring_deal['id']}/installments",
            json={"description": "x", "amount": 1, "billing_date": "2026-01-01"},
        ),
        400,
    )
    assert "amount" in error(
        api.post(
            f"/api/v2/deals/{deal['id']}/installments",
            json={"description": "x", "amount": 0, "billing_date": "2026-01-01"},
        ),
        400,
    )
    assert "billing_date" in error(
        api.post(
            f"/api/v2/deals/{deal['id']}/installments", json={"description": "x", "amount": 1, "billing_date": "soon"}
        ),
        400,
    )
    error(api.get("/api/v2/deals/installments"), 400)


def test_bad_deal_product_input_writes_nothing(api, other_api):
    product = make_product(api)
    hidden = make_product(api, is_linkable=False)
    deal = make_deal(api)
    url = f"/api/v2/deals/{deal['id']}/products"
    assert "item_price" in error(api.post(url, json={"product_id": product["id"], "quantity": 1}), 400)
    assert "quantity" in error(api.post(url, json={"product_id": product["id"], "item_price": 1, "quantity": 0}), 400)
    assert "quantity" in error(api.post(url, json={"product_id": product["id"], "item_price": 1, "quantity": "2"}), 400)
    assert "product_id" in error(api.post(url, json={"product_id": 999999, "item_price": 1, "quantity": 1}), 400)
    assert "product_id" in error(api.post(url, json={"product_id": hidden["id"], "item_price": 1, "quantity": 1}), 400)
    assert "discount" in error(
        api.post(url, json={"product_id": product["id"], "item_price": 1, "quantity": 1, "discount": 101}), 400
    )
    assert "tax_method" in error(
        api.post(url, json={"product_id": product["id"], "item_price": 1, "quantity": 1, "tax_method": "sometimes"}),
        400,
    )
    assert "product_variation_id" in error(
        api.post(
            url, json={"product_id": product["id"], "item_price": 1, "quantity": 1, "product_variation_id": 999999}
        ),
        400,
    )
    assert data(api.get(url)) == []
    assert deal_v2(api, deal["id"])["products_count"] == 0
    # A deleted product can no longer be added.
    data(api.delete(f"/api/v2/products/{product['id']}"))
    assert "product_id" in error(api.post(url, json={"product_id": product["id"], "item_price": 1, "quantity": 1}), 400)
    # Another company sees neither the deal nor its products.
    error(other_api.get(url), 404)
    error(other_api.post(url, json={"product_id": hidden["id"], "item_price": 1, "quantity": 1}), 404)
    other_deal = make_deal(other_api)
    assert "product_id" in error(
        other_api.post(
            f"/api/v2/deals/{other_deal['id']}/products",
            json={"product_id": hidden["id"], "item_price": 1, "quantity": 1},
        ),
        400,
    )
    assert data(other_api.get("/api/v2/deals/products", params={"deal_ids": str(deal["id"])})) == []
    error(api.patch(f"{url}/999999", json={"quantity": 2}), 404)


def test_variation_on_a_deal_product(api):
    product = make_product(api)
    variation = data(api.post(f"/api/v2/products/{product['id']}/variations", json={"name": "Red"}), 201)
    deal = make_deal(api)
    line = attach(api, deal["id"], product["id"], product_variation_id=variation["id"])
    assert line["product_variation_id"] == variation["id"]
    other = make_product(api)
    assert "product_variation_id" in error(
        api.post(
            f"/api/v2/deals/{deal['id']}/products",
            json={"product_id": other["id"], "item_price": 1, "quantity": 1, "product_variation_id": variation["id"]},
        ),
        400,
    )
    data(api.delete(f"/api/v2/products/{product['id']}/variations/{variation['id']}"))
    assert data(api.get(f"/api/v2/deals/{deal['id']}/products"))[0]["product_variation_id"] is None


def test_lines_discounts_and_installments_answer_under_their_own_deal_only(api):
    """A child row of one deal (its products, discounts, installments) is a 404 under another's
    path, and stays as it was."""
    product = make_product(api)
    deal, other = make_deal(api), make_deal(api)
    line = attach(api, deal["id"], product["id"])
    discount = data(
        api.post(f"/api/v2/deals/{deal['id']}/discounts", json={"description": "d", "amount": 5, "type": "amount"}),
        201,
    )
    installment = data(
        api.post(
            f"/api/v2/deals/{deal['id']}/installments",
            json={"description": "1st", "amount": 10, "billing_date": "2026-01-01"},
        )
    )
    elsewhere = f"/api/v2/deals/{other['id']}"
    refused(api.patch(f"{elsewhere}/products/{line['id']}", json={"quantity": 2}), "Deal product not found", 404)
    refused(api.delete(f"{elsewhere}/products/{line['id']}"), "Deal product not found", 404)
    refused(
        api.put(f"/v1/deals/{other['id']}/products/{line['id']}", json={"quantity": 2}), "Deal product not found", 404
    )
    refused(api.patch(f"{elsewhere}/discounts/{discount['id']}", json={"amount": 1}), "Discount not found", 404)
    refused(api.delete(f"{elsewhere}/discounts/{discount['id']}"), "Discount not found", 404)
    refused(
        api.patch(f"{elsewhere}/installments/{installment['id']}", json={"amount": 1}), "Installment not found", 404
    )
    refused(api.delete(f"{elsewhere}/installments/{installment['id']}"), "Installment not found", 404)
    refused(api.delete(f"/api/v2/deals/999999/installments/{installment['id']}"), "Deal not found", 404)
    assert [r["quantity"] for r in data(api.get(f"/api/v2/deals/{deal['id']}/products"))] == [1]
    assert [d["amount"] for d in data(api.get(f"/api/v2/deals/{deal['id']}/discounts"))] == [5]
    installments = data(api.get("/api/v2/deals/installments", params={"deal_ids": str(deal["id"])}))
    assert [i["amount"] for i in installments] == [10]


def test_a_line_written_through_the_service_alone(engine, company, api):
    """No HTTP: a line names its deal, and the deal's value and tax method follow as they do
    through the API."""
    product = make_product(api)
    deal = make_deal(api, value=999)
    first = attach(api, deal["id"], product["id"], item_price=10)
    with engine.connect().execution_options(dealbase_write=True) as conn:
        unit = Unit(conn, company.company_id, repo.get(conn, users, company.company_id, company.user_id))
        given = {"deal_id": deal["id"], "product_id": product["id"], "item_price": 20, "quantity": 2}
        line = service.create(unit, DEAL_PRODUCT, Input({**given, "tax_method": "none"}))
        assert (line["sum"], line["order_nr"], line["currency"]) == (40, 2, deal["currency"])
        service.update(unit, DEAL_PRODUCT, line, Input({"quantity": 3}))
        with pytest.raises(BadInput, match="deal_id: Deal with id 999999 not found"):
            service.create(unit, DEAL_PRODUCT, Input({**given, "deal_id": 999999}))
        conn.commit()
    shown = deal_v2(api, deal["id"])
    assert (shown["value"], shown["products_count"]) == (70, 2)
    lines = data(api.get(f"/api/v2/deals/{deal['id']}/products"))
    assert [(r["id"], r["tax_method"], r["sum"]) for r in lines] == [
        (first["id"], "none", 10),
        (line["id"], "none", 60),
    ]


def test_a_bulk_delete_leaves_a_deal_with_installments_an_enabled_line_or_removes_nothing(api):
    product = make_product(api)
    deal = make_deal(api)
    a = attach(api, deal["id"], product["id"], item_price=10)
    b = attach(api, deal["id"], product["id"], item_price=20)
    off = attach(api, deal["id"], product["id"], item_price=40, is_enabled=False)
    url = f"/api/v2/deals/{deal['id']}"
    data(api.post(f"{url}/installments", json={"description": "1st", "amount": 5, "billing_date": "2026-01-01"}))
    refused(
        api.delete(f"{url}/products", params={"ids": f"{off['id']},{a['id']},{b['id']}"}),
        "The last enabled product of a deal with installments cannot be removed",
    )
    assert [r["id"] for r in data(api.get(f"{url}/products"))] == [a["id"], b["id"], off["id"]]
    assert (deal_v2(api, deal["id"])["value"], deal_v2(api, deal["id"])["products_count"]) == (30, 3)
    removed = data(api.delete(f"{url}/products", params={"ids": f"{a['id']},{off['id']}"}))
    assert removed == {"ids": [a["id"], off["id"]]}
    assert (deal_v2(api, deal["id"])["value"], deal_v2(api, deal["id"])["products_count"]) == (20, 1)
