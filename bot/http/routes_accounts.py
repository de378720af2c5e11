"""The shop's accounts: the seller and the linked official and marketing accounts."""

from __future__ import annotations

from bot.http.outputs import AccountPage, account_out
from bot.http.routing import Call, Route


async def list_accounts(call: Call[None, None, None]) -> AccountPage:
    accounts = await call.services.accounts.list(call.actor)
    return AccountPage(items=[account_out(a) for a in accounts], next_cursor=None)


ROUTES = [
    Route(
        "GET",
        "/v1/accounts",
        "List the shop's accounts (seller and linked ones)",
        "accounts",
        list_accounts,
        response=AccountPage,
    ),
]
