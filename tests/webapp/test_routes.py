"""R-app1 / R-app2 over HTTP: who may see and do what through the Mini App's calls, with the
bot's roles, services and refusals (the browser tests drive the same calls from the page)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from core.rules.roles import Actor
from core.services import Services
from tests.conftest import NOW, draft, percent_draft
from tests.webapp.conftest import HOST_ID, SELLER_ID, STRANGER_ID, Signer, init_data


async def get(client: TestClient, url: str, headers: dict[str, str]) -> tuple[int, str]:
    r = await client.get(url, headers=headers)
    return r.status, await r.text()


async def post(
    client: TestClient, url: str, headers: dict[str, str], data: dict[str, str]
) -> tuple[int, str]:
    r = await client.post(url, headers=headers, data=data)
    return r.status, await r.text()


def new_form(**values: str) -> dict[str, str]:
    form = {
        "kind": "regular",
        "dtype": "amount",
        "amount": "5",
        "min": "20",
        "scope": "shop",
        "qty": "100",
        "per": "1",
        "start": "",
        "end": "2026-06-08T12:00",
        "name": "Weekend deal",
        "step": "review",
    }
    form.update(values)
    return form


async def test_r_app1_page_has_no_data_and_no_key(client: TestClient) -> None:
    r = await client.get("/app/")
    text = await r.text()
    assert r.status == 200
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert "/app/static/app.js" in text and "api" not in text.lower().replace("app", "")
    js = await (await client.get("/app/static/app.js")).text()
    assert "X-Telegram-Init-Data" in js and "Authorization" not in js


async def test_r_app1_forged_stale_and_missing_init_data_are_refused(
    client: TestClient, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft())
    now = services.clock.now()
    forged = {"X-Telegram-Init-Data": init_data(SELLER_ID, now, token="999:another-bot")}
    stale = {"X-Telegram-Init-Data": init_data(SELLER_ID, now - timedelta(hours=2))}
    for headers, code in (
        (forged, "init_data_forged"),
        (stale, "init_data_stale"),
        ({}, "init_data_missing"),
    ):
        status, text = await get(client, "/app/v/vouchers", headers)
        assert status == 401 and f'data-code="{code}"' in text
        assert "Spring $5 off" not in text
        status, _text = await post(client, "/app/a/voucher/1/deactivate", headers, {"confirm": "1"})
        assert status == 401
    assert (await services.vouchers.get(seller, 1)).status == "ongoing"


async def test_r_app1_stranger_is_not_a_member(client: TestClient, as_user: Signer) -> None:
    status, text = await get(client, "/app/v/vouchers", as_user(STRANGER_ID))
    assert status == 403 and 'data-code="not_member"' in text
    assert "/setup" in text


async def test_r_app1_host_reads_but_may_not_manage_vouchers(
    client: TestClient, services: Services, seller: Actor, host: Actor, as_user: Signer
) -> None:
    await services.vouchers.create(seller, draft())
    status, text = await get(client, "/app/v/vouchers", as_user(HOST_ID, name="Hana"))
    assert status == 200 and "Spring $5 off" in text
    assert "/app/v/new" not in text  # no New voucher tab for a host
    status, text = await get(client, "/app/v/voucher/1", as_user(HOST_ID))
    assert status == 200 and "/deactivate" not in text and "/add" not in text
    for url, data in (
        ("/app/a/voucher/1/add", {"quantity": "10"}),
        ("/app/a/voucher/1/deactivate", {"confirm": "1"}),
        ("/app/a/new", new_form()),
    ):
        status, text = await post(client, url, as_user(HOST_ID), data)
        assert status == 403 and 'data-code="forbidden"' in text
        assert "only the shop's seller" in text.replace("&#x27;", "'")
    status, _text = await get(client, "/app/v/new", as_user(HOST_ID))
    assert status == 403
    v = await services.vouchers.get(seller, 1)
    assert (v.total_quantity, v.status) == (100, "ongoing")
    assert len(await services.vouchers.list(seller)) == 1


async def test_r_app2_seller_adds_quantity_and_deactivates(
    client: TestClient, services: Services, seller: Actor, as_user: Signer
) -> None:
    await services.vouchers.create(seller, draft())
    status, text = await post(
        client, "/app/a/voucher/1/add", as_user(SELLER_ID), {"quantity": "1,000"}
    )
    assert status == 200 and "1,100 in total" in text
    status, text = await post(
        client, "/app/a/voucher/1/add", as_user(SELLER_ID), {"quantity": "lots"}
    )
    assert "Send a whole number" in text and 'aria-invalid="true"' in text
    assert (await services.vouchers.get(seller, 1)).total_quantity == 1_100
    status, text = await post(client, "/app/a/voucher/1/deactivate", as_user(SELLER_ID), {})
    assert "Yes, deactivate" in text  # asks first
    assert (await services.vouchers.get(seller, 1)).status == "ongoing"
    status, text = await post(
        client, "/app/a/voucher/1/deactivate", as_user(SELLER_ID), {"confirm": "1"}
    )
    assert status == 200 and "is deactivated" in text
    assert (await services.vouchers.get(seller, 1)).status == "deactivated"
    # Core's refusal, worded as the bot words it.
    status, text = await post(client, "/app/a/voucher/1/add", as_user(SELLER_ID), {"quantity": "5"})
    assert status == 409 and 'data-code="edit_not_allowed"' in text and "deactivated" in text


async def test_r_app2_unknown_voucher_is_the_bots_refusal(
    client: TestClient, seller: Actor, as_user: Signer
) -> None:
    status, text = await get(client, "/app/v/voucher/77", as_user(SELLER_ID))
    assert status == 404 and 'data-code="voucher_not_found"' in text
    assert "can&#x27;t find that voucher" in text or "can't find that voucher" in text


async def test_r_app2_new_voucher_checks_reads_money_and_creates(
    client: TestClient, services: Services, seller: Actor, as_user: Signer
) -> None:
    me = as_user(SELLER_ID)
    # R-money-in: a typed amount is read or refused, never guessed.
    _status, text = await post(client, "/app/a/new", me, new_form(amount="5.123"))
    assert "decimals" in text and 'id="f-amount-error"' in text
    # Core's rules (R-v3: the discount below the minimum spend), under the field that asks.
    _status, text = await post(client, "/app/a/new", me, new_form(amount="30"))
    assert 'id="f-amount-error"' in text or 'id="f-min-error"' in text
    assert await services.vouchers.list(seller) == []
    # A valid form shows the summary with the estimated spend; nothing is saved yet.
    _status, text = await post(client, "/app/a/new", me, new_form())
    assert "Check your voucher" in text and "Estimated spend: $500.00" in text
    assert await services.vouchers.list(seller) == []
    # Edit goes back to the form with every value kept.
    _status, text = await post(client, "/app/a/new", me, new_form(step="edit"))
    assert 'name="name" value="Weekend deal"' in text and 'name="amount" value="5"' in text
    _status, text = await post(client, "/app/a/new", me, new_form(step="create", ack="0"))
    assert "Voucher created" in text
    [v] = await services.vouchers.list(seller)
    assert (v.name, v.amount, v.min_spend, v.total_quantity) == ("Weekend deal", 500, 2000, 100)
    assert v.starts_at == NOW and v.ends_at == NOW + timedelta(days=7)


async def test_r_app2_r_v8_low_max_discount_needs_continue(
    client: TestClient, services: Services, seller: Actor, as_user: Signer
) -> None:
    await services.products.upsert(seller, "A-1", name="Lipstick", category="Beauty", price=10_000)
    me = as_user(SELLER_ID)
    form = new_form(
        kind="live",
        dtype="percent",
        percent="20",
        max="1",
        min="",
        scope="products",
        products="A-1",
        name="",
    )
    form.pop("amount")
    _status, text = await post(client, "/app/a/new", me, form)
    assert "Maximum Discount Per Order is Low" in text and ">Continue<" in text
    assert 'name="ack" value="1"' in text
    # Creating without having seen it (ack 0) is refused by the core and shows the warning.
    _status, text = await post(client, "/app/a/new", me, form | {"step": "create", "ack": "0"})
    assert "Maximum Discount Per Order is Low" in text
    assert await services.vouchers.list(seller) == []
    _status, text = await post(client, "/app/a/new", me, form | {"step": "create", "ack": "1"})
    assert "Voucher created" in text
    [v] = await services.vouchers.list(seller)
    assert (v.kind, v.percent, v.max_discount, v.name) == ("live", 20, 100, "LIVE 20% off")


async def test_r_app2_live_now_issue_and_stop(
    client: TestClient, services: Services, seller: Actor, host: Actor, as_user: Signer
) -> None:
    live_voucher = await services.vouchers.create(seller, percent_draft(kind="live", name="Flash"))
    session = await services.live.start_session(host)
    status, text = await get(client, "/app/v/live", as_user(HOST_ID))
    assert "Live session #1" in text and 'data-refresh="5"' in text
    assert "Flash" in text  # offered in the Issue form
    status, text = await post(
        client,
        "/app/a/issue",
        as_user(HOST_ID),
        {
            "voucher_id": str(live_voucher.id),
            "session_id": str(session.id),
            "task": "watch",
            "minutes": "5",
        },
    )
    assert status == 200 and "Issued" in text and "watch 5 min" in text
    [d] = await services.live.distributions(seller)
    # The seller sees the host's session, its distribution and may stop it.
    status, text = await get(client, "/app/v/live", as_user(SELLER_ID))
    assert "Hana" in text and f"/app/a/stop/{d.id}" in text and "100 of 100 left" in text
    # The same issue again: the core's refusal, in the bot's words.
    status, text = await post(
        client,
        "/app/a/issue",
        as_user(HOST_ID),
        {"voucher_id": str(live_voucher.id), "session_id": str(session.id), "task": "none"},
    )
    assert "already being distributed" in text
    status, text = await post(client, f"/app/a/stop/{d.id}", as_user(SELLER_ID), {})
    assert status == 200 and "Stopped" in text
    assert await services.live.distributions(seller) == []


async def test_r_app2_stats_sorts_and_draws_the_trend(
    client: TestClient, services: Services, seller: Actor, as_user: Signer
) -> None:
    await services.vouchers.create(seller, draft(name="First"))
    await services.vouchers.create(seller, draft(name="Second"))
    status, text = await get(client, "/app/v/stats?period=30&sort=roi", as_user(SELLER_ID))
    assert status == 200 and "<svg" in text and 'role="img"' in text
    assert 'aria-pressed="true" data-get="/app/v/stats?period=30&amp;sort=roi"' in text
    assert text.index("Second") < text.index("First")  # ties: the newest first
    status, text = await get(client, "/app/v/stats?period=bogus&sort=bogus", as_user(SELLER_ID))
    assert status == 200  # unknown choices fall back to the defaults
