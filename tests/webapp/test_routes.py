"""R-app1 / R-app2 over HTTP: who may see and do what through the Mini App's calls, with the
bot's roles, services and refusals (the browser tests drive the same calls from the page)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
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


# --- R-seg, R-budget, R-code, R-redeem in the page (the same core calls as the API) ----------


Client = TestClient[web.Request, web.Application]


def field_error(text: str, field: str) -> str:
    """The refusal shown under one field of the form ('' when there is none)."""
    marker = f'<p class="field-error" id="f-{field}-error">'
    if marker not in text:
        return ""
    return text.split(marker, 1)[1].split("</p>", 1)[0].replace("&#x27;", "'")


async def test_r_seg_r_budget_r_code_r_redeem_form_creates_with_all_four(
    client: Client, services: Services, seller: Actor, as_user: Signer
) -> None:
    me = as_user(SELLER_ID)
    _status, text = await get(client, "/app/v/new", me)
    # Every segment is offered with what it means, with the shop's windows.
    assert '<select id="f-segment" name="segment"' in text
    assert "Repeat customers — Buyers who ordered from your shop in the last 30 days." in text
    assert 'label for="f-budget">Budget (USD)' in text and 'for="f-code"' in text
    assert 'for="f-uses"' in text and 'name="generate_code"' in text
    form = new_form(segment="repeat_customers", budget="50", code="spring26", uses="40")
    _status, text = await post(client, "/app/a/new", me, form)
    assert "Only for: repeat customers" in text and "Promo code: <b>SPRING26</b>" in text
    assert "Uses allowed: 40" in text and "Budget: $0.00 spent" in text
    assert await services.vouchers.list(seller) == []  # the summary saves nothing
    _status, text = await post(client, "/app/a/new", me, form | {"step": "create"})
    assert "Voucher created" in text
    [v] = await services.vouchers.list(seller)
    assert (v.segment, v.budget, v.code, v.redemption_limit) == (
        "repeat_customers",
        5_000,
        "SPRING26",
        40,
    )
    # The list shows the targeting in short, as /vouchers' details do in full.
    _status, text = await get(client, "/app/v/vouchers", me)
    assert "Only for: repeat customers" in text and "budget $50.00 of $50.00 left" in text


async def test_r_seg_r_budget_r_code_r_redeem_empty_means_none(
    client: Client, services: Services, seller: Actor, as_user: Signer
) -> None:
    form = new_form(segment="", budget="", code="", uses="", step="create")
    _status, text = await post(client, "/app/a/new", as_user(SELLER_ID), form)
    assert "Voucher created" in text
    [v] = await services.vouchers.list(seller)
    assert (v.segment, v.budget, v.code, v.redemption_limit) == ("all", None, None, None)


async def test_r_seg_r_budget_r_code_r_redeem_refusals_under_their_fields_en(
    client: Client, services: Services, seller: Actor, as_user: Signer
) -> None:
    me = as_user(SELLER_ID)
    # R-money-in / R-l10n4: in English `5,5` is refused with a suggestion, never read as 55.
    _status, text = await post(client, "/app/a/new", me, new_form(budget="5,5"))
    assert "Did you mean $5.50?" in field_error(text, "budget")
    _status, text = await post(client, "/app/a/new", me, new_form(budget="1"))
    assert "at least one discount: $5.00 or more" in field_error(text, "budget")
    _status, text = await post(client, "/app/a/new", me, new_form(code="ab"))
    assert "6–12 letters" in field_error(text, "code")
    _status, text = await post(client, "/app/a/new", me, new_form(uses="lots"))
    assert "Send a whole number from 1 to 1,000,000" in field_error(text, "uses")
    _status, text = await post(client, "/app/a/new", me, new_form(uses="0"))
    assert "The number of uses must be between 1 and 1,000,000." in field_error(text, "uses")
    _status, text = await post(client, "/app/a/new", me, new_form(segment="everyone"))
    assert "The buyers it is for isn't valid." in field_error(text, "segment")
    # R-code: a LIVE voucher has no promo code (the field is not asked for one).
    _status, text = await post(
        client, "/app/a/new", me, new_form(kind="live", code="LIVE1234", step="create")
    )
    assert "Voucher created" in text
    [live] = await services.vouchers.list(seller)
    assert live.code is None
    # Conflicts core finds among the shop's vouchers, under the field they are about.
    await services.vouchers.create(seller, draft(name="First code", code="TAKEN123"))
    await services.vouchers.create(seller, draft(name="Welcome", segment="new_customers"))
    _status, text = await post(client, "/app/a/new", me, new_form(code="taken123", step="create"))
    assert "Another voucher, First code, already uses this promo code" in field_error(text, "code")
    assert 'name="code" value="taken123"' in text  # what was typed is kept
    _status, text = await post(
        client, "/app/a/new", me, new_form(segment="new_customers", step="create")
    )
    assert "Welcome already does" in field_error(text, "segment")
    assert len(await services.vouchers.list(seller)) == 3  # nothing half-written


async def test_r_code_generated_code_is_readable_and_kept(
    client: Client, services: Services, seller: Actor, as_user: Signer
) -> None:
    me = as_user(SELLER_ID)
    _status, text = await post(client, "/app/a/new", me, new_form(generate_code="1"))
    code = text.split("Promo code: <b>", 1)[1].split("</b>", 1)[0]
    assert len(code) == 8 and all(c in "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" for c in code)
    assert f'name="code" value="{code}"' in text  # carried to Submit
    _status, text = await post(client, "/app/a/new", me, new_form(code=code, step="create"))
    [v] = await services.vouchers.list(seller)
    assert v.code == code


async def test_r_budget_r_redeem_read_in_indonesian(
    client: Client, services: Services, seller: Actor, as_user: Signer
) -> None:
    me = as_user(SELLER_ID, language="id")
    _status, text = await get(client, "/app/v/new", me)
    assert "Pembeli baru — " in text and "Anggaran (USD)" in text
    # `5,5` in Indonesian is five and a half, never 55 (R-money-in, R-l10n4).
    form = new_form(amount="5", min="20", budget="5,5", uses="1.000", step="create")
    _status, text = await post(client, "/app/a/new", me, form)
    assert "Voucher berhasil dibuat" in text
    [v] = await services.vouchers.list(seller)
    assert (v.budget, v.redemption_limit) == (550, 1_000)


async def test_r_budget_r_code_refusals_in_indonesian(
    client: Client, services: Services, seller: Actor, as_user: Signer
) -> None:
    me = as_user(SELLER_ID, language="id")
    _status, text = await post(client, "/app/a/new", me, new_form(budget="1"))
    assert "Anggaran harus cukup untuk minimal satu diskon" in field_error(text, "budget")
    _status, text = await post(client, "/app/a/new", me, new_form(uses="banyak"))
    assert "Kirim angka bulat" in field_error(text, "uses")
    _status, text = await post(client, "/app/a/new", me, new_form(code="ab"))
    assert "Kode promo" in field_error(text, "code")
    assert await services.vouchers.list(seller) == []


async def test_r_budget_raised_from_the_details_page(
    client: Client, services: Services, seller: Actor, as_user: Signer
) -> None:
    await services.vouchers.create(seller, draft(budget=1_000))
    await services.vouchers.create(seller, draft(name="No cap"))
    me = as_user(SELLER_ID)
    _status, text = await get(client, "/app/v/voucher/1", me)
    assert "Budget: $0.00 spent, $0.00 reserved, <b>$10.00</b> of $10.00 left" in text
    assert "/app/a/voucher/1/budget" in text and 'for="budget-budget"' in text
    _status, text = await get(client, "/app/v/voucher/2", me)
    assert "/budget" not in text  # no budget to raise (core refuses to add one, R-v10)
    status, text = await post(client, "/app/a/voucher/1/budget", me, {"budget": "25"})
    assert status == 200 and "is now $25.00, $25.00 left" in text
    status, text = await post(client, "/app/a/voucher/1/budget", me, {"budget": "20"})
    assert "The new budget must be at least $25.00." in text and 'aria-invalid="true"' in text
    status, text = await post(client, "/app/a/voucher/1/budget", me, {"budget": "2,5"})
    assert "Did you mean $2.50?" in text
    assert (await services.vouchers.get(seller, 1)).budget == 2_500
    idn = as_user(SELLER_ID, language="id")
    status, text = await post(client, "/app/a/voucher/1/budget", idn, {"budget": "30,5"})
    assert status == 200 and "US$30,50" in text and "Anggaran" in text
    assert (await services.vouchers.get(seller, 1)).budget == 3_050
    status, text = await post(client, "/app/a/voucher/1/budget", idn, {"budget": "3"})
    assert "Anggaran baru" in text and 'aria-invalid="true"' in text
    assert (await services.vouchers.get(seller, 1)).budget == 3_050


async def test_r_budget_host_may_not_raise(
    client: Client, services: Services, seller: Actor, host: Actor, as_user: Signer
) -> None:
    await services.vouchers.create(seller, draft(budget=1_000))
    hana = as_user(HOST_ID, name="Hana")
    _status, text = await get(client, "/app/v/voucher/1", hana)
    assert "Budget:" in text and "/budget" not in text
    status, text = await post(client, "/app/a/voucher/1/budget", hana, {"budget": "50"})
    assert status == 403 and 'data-code="forbidden"' in text
    assert (await services.vouchers.get(seller, 1)).budget == 1_000


async def test_r_app2_stats_parity_period_span_hosts_and_a_vouchers_figures(
    client: Client, services: Services, seller: Actor, as_user: Signer
) -> None:
    await services.vouchers.create(seller, draft(name="First"))
    me = as_user(SELLER_ID)
    _status, text = await get(client, "/app/v/stats?period=30", me)
    assert "<b>Last 30 days</b>: " in text  # the span, as /stats states it
    _status, text = await get(client, "/app/v/voucher/1", me)
    assert 'data-get="/app/v/stats/1"' in text and 'data-get="/app/v/voucher/1"' in text
    status, text = await get(client, "/app/v/stats/1", me)
    assert status == 200 and "Claims: 0 · Usage: 0" in text and "Quota: 100 of 100 left" in text
    status, text = await get(client, "/app/v/stats/99", me)
    assert status == 404 and 'data-code="voucher_not_found"' in text
