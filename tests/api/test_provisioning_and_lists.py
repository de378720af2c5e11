"""R-api2 follows by handle, R-api3 provisioning, R-api5 uniform lists."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.api.conftest import Api


async def test_r_api3_shop_tells_currency_exponent_zone_language(api: Api) -> None:
    shop = await api.ok("GET", "/v1/shop")
    assert shop == {
        "id": api.shop_id,
        "name": "Acme",
        "currency": "USD",
        "exponent": 2,
        "timezone": "UTC",
        "language": "en",
        "team_chat_set": False,
    }


@pytest.fixture
def settings() -> Settings:
    return Settings(
        database_url="sqlite+aiosqlite:///unused.db", telegram_bot_username="acme_voucher_bot"
    )


async def test_r_api3_provision_host_then_telegram_takes_it(api: Api) -> None:
    made = await api.ok(
        "POST", "/v1/accounts", 201, json={"role": "official", "platform_handle": "@Lily.Live"}
    )
    account, invite = made["account"], made["invite"]
    assert (account["role"], account["platform_handle"]) == ("official", "lily.live")
    assert account["telegram_user_id"] is None
    assert invite["link"] == f"https://t.me/acme_voucher_bot?start={invite['token']}"
    # Usable at once: its id starts a live session.
    session = await api.ok("POST", "/v1/live/sessions", 201, json={"account_id": account["id"]})
    assert session["account_id"] == account["id"]
    # The person opens the link: the bot accepts the invite for that very account.
    membership = await api.services.accounts.accept_invite(invite["token"], 5005, "Lily")
    assert membership.account.id == account["id"]
    listed = await api.ok("GET", "/v1/accounts")
    assert [a["telegram_user_id"] for a in listed["items"] if a["id"] == account["id"]] == [5005]


async def test_r_api3_role_limits_handles_patch_and_unlink(api: Api) -> None:
    ids = []
    for n in range(4):
        body = {"role": "marketing", "platform_handle": f"m{n}"}
        ids.append((await api.ok("POST", "/v1/accounts", 201, json=body))["account"]["id"])
    status, problem = await api.call(
        "POST", "/v1/accounts", json={"role": "marketing", "platform_handle": "m9"}
    )
    assert (status, problem["code"], problem["limit"]) == (409, "role_full", 4)
    status, problem = await api.call(
        "POST", "/v1/accounts", json={"role": "official", "platform_handle": "M0"}
    )
    assert (status, problem["code"], problem["account_id"]) == (409, "handle_taken", ids[0])
    patched = await api.ok("PATCH", f"/v1/accounts/{ids[1]}", json={"platform_handle": "@NEW"})
    assert patched["platform_handle"] == "new"
    await api.ok("DELETE", f"/v1/accounts/{ids[0]}")
    again = await api.ok(
        "POST", "/v1/accounts", 201, json={"role": "marketing", "platform_handle": "m0"}
    )
    assert again["account"]["id"] not in ids
    seller = (await api.ok("GET", "/v1/accounts"))["items"][0]
    status, problem = await api.call("DELETE", f"/v1/accounts/{seller['id']}")
    assert (status, problem["code"]) == (403, "cannot_unlink_seller")


async def test_r_api3_without_bot_username_the_token_alone(api: Api) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.http import create_app

    client = TestClient(TestServer(create_app(api.services, Settings(database_url="x"))))
    await client.start_server()
    try:
        response = await client.post(
            "/v1/accounts", json={"role": "official", "platform_handle": "h"}, headers=api.auth
        )
        invite = (await response.json())["invite"]
        assert response.status == 201 and invite["link"] is None and invite["token"]
    finally:
        await client.close()


async def test_r_api2_follow_handles_exactly(api: Api) -> None:
    status, problem = await api.call(
        "POST",
        "/v1/follows",
        json={"buyer_id": "b1", "host_handle": "nobody.here", "action": "follow"},
    )
    assert (status, problem["code"]) == (404, "account_not_found")
    # The seller's handle is acme_official: any case, with or without @.
    counted = await api.ok(
        "POST",
        "/v1/follows",
        json={"buyer_id": "b1", "host_handle": "@ACME_Official", "action": "follow"},
    )
    assert (counted["host_handle"], counted["counted"]) == ("acme_official", True)
    status, problem = await api.call(
        "POST", "/v1/follows", json={"buyer_id": "b1", "host_handle": "@@x", "action": "follow"}
    )
    assert (status, problem["errors"][0]["field"]) == (422, "host_handle")


async def test_r_api5_lists_page_with_limit_and_bound_cursors(api: Api) -> None:
    for n in range(3):
        await api.ok(
            "POST", "/v1/accounts", 201, json={"role": "marketing", "platform_handle": f"m{n}"}
        )
    first = await api.ok("GET", "/v1/accounts?limit=1")
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = await api.ok("GET", f"/v1/accounts?limit=2&cursor={first['next_cursor']}")
    assert [a["id"] for a in second["items"]] == [
        first["items"][0]["id"] + 1,
        first["items"][0]["id"] + 2,
    ]
    # A cursor of another list, or of the same list with other filters: 422.
    for path in (
        f"/v1/vouchers?cursor={first['next_cursor']}",
        f"/v1/products?cursor={first['next_cursor']}",
    ):
        status, problem = await api.call("GET", path)
        assert (status, problem["errors"][0]["field"]) == (422, "cursor"), path
    for n in range(3):
        await api.voucher(name=f"V{n}")
    page = await api.ok("GET", "/v1/vouchers?limit=1&status=ongoing")
    status, _ = await api.call("GET", f"/v1/vouchers?status=upcoming&cursor={page['next_cursor']}")
    assert status == 422
    await api.ok("GET", f"/v1/vouchers?status=ongoing&limit=2&cursor={page['next_cursor']}")
    for limit in (0, 201):
        status, _ = await api.call("GET", f"/v1/accounts?limit={limit}")
        assert status == 422


async def test_r_api5_unknown_query_parameters_are_422(api: Api) -> None:
    status, problem = await api.call("GET", "/v1/vouchers?colour=red")
    assert (status, problem["errors"][0]["field"]) == (422, "colour")
    status, problem = await api.call("GET", "/v1/shop?x=1")
    assert (status, problem["errors"][0]["field"]) == (422, "x")
