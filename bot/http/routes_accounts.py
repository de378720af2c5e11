"""The shop, its segment windows (R-seg) and its accounts: the seller and the official and
marketing hosts, provisioned by the platform (R-api3) or linked in Telegram."""

from __future__ import annotations

from bot.http.inputs import AccountIn, AccountPatch, AccountPath, PageQuery, SegmentWindowsPatch
from bot.http.outputs import AccountOut, AccountPage, account_out
from bot.http.outputs_accounts import (
    InviteOut,
    ProvisionedOut,
    SegmentWindowsOut,
    ShopOut,
    windows_out,
)
from bot.http.paging import page_of
from bot.http.routing import SETTINGS, Call, Reply, Route
from core.money import minor_digits


async def get_shop(call: Call[None, None, None]) -> ShopOut:
    shop = await call.services.shops.get(call.actor.shop_id)
    return ShopOut(
        id=shop.id,
        name=shop.name,
        currency=shop.currency,
        exponent=minor_digits(shop.currency),
        timezone=shop.timezone,
        language=shop.language,
        team_chat_set=shop.team_chat_id is not None,
    )


async def get_segment_windows(call: Call[None, None, None]) -> SegmentWindowsOut:
    return windows_out(await call.services.shops.segment_windows(call.actor))


async def set_segment_windows(call: Call[SegmentWindowsPatch, None, None]) -> SegmentWindowsOut:
    windows = await call.services.shops.set_segment_windows(call.actor, **call.body.changes())
    return windows_out(windows)


async def list_accounts(call: Call[None, PageQuery, None]) -> AccountPage:
    accounts = await call.services.accounts.list(call.actor)
    items, cursor = page_of(call, [a for a in accounts], lambda a: a.id)
    return AccountPage(items=[account_out(a) for a in items], next_cursor=cursor)


async def create_account(call: Call[AccountIn, None, None]) -> Reply:
    account, invite = await call.services.accounts.provision(
        call.actor, call.body.role, call.body.platform_handle
    )
    username = call.request.app[SETTINGS].telegram_bot_username
    out = ProvisionedOut(
        account=account_out(account),
        invite=InviteOut(
            token=invite.token,
            expires_at=invite.expires_at,
            link=invite.deep_link(username) if username else None,
        ),
    )
    return Reply(out, 201)


async def update_account(call: Call[AccountPatch, None, AccountPath]) -> AccountOut:
    view = await call.services.accounts.set_handle(
        call.actor, call.body.platform_handle, call.path.account_id
    )
    return account_out(view)


async def unlink_account(call: Call[None, None, AccountPath]) -> AccountOut:
    return account_out(await call.services.accounts.unlink(call.actor, call.path.account_id))


ROUTES = [
    Route(
        "GET",
        "/v1/shop",
        "The shop: currency and its exponent, time zone, language, team chat",
        "accounts",
        get_shop,
        response=ShopOut,
    ),
    Route(
        "GET",
        "/v1/shop/segment-windows",
        "The shop's segment windows (R-seg), in days",
        "accounts",
        get_segment_windows,
        response=SegmentWindowsOut,
        description="R-seg: who counts as a repeat, lapsed or new-follower buyer when a "
        "voucher for that segment is claimed. Defaults: 30, 365, 90 and 30 days.",
    ),
    Route(
        "PATCH",
        "/v1/shop/segment-windows",
        "Change the shop's segment windows (R-seg)",
        "accounts",
        set_segment_windows,
        body=SegmentWindowsPatch,
        response=SegmentWindowsOut,
        description="R-seg: only the windows sent change; the answer is every window as "
        "stored. The next claim in every process judges segments by them. Setting values is "
        "idempotent: a repeat sets the same windows again. A window outside 1–1,095 days, "
        "or `lapsed_quiet_days` not below `lapsed_active_days` (after the change), is a 422 "
        "naming the field, and nothing changes.",
    ),
    Route(
        "GET",
        "/v1/accounts",
        "List the shop's accounts (seller and linked ones)",
        "accounts",
        list_accounts,
        query=PageQuery,
        response=AccountPage,
    ),
    Route(
        "POST",
        "/v1/accounts",
        "Add an official or marketing account with its handle, and its Telegram invite",
        "accounts",
        create_account,
        body=AccountIn,
        response=ProvisionedOut,
        status=201,
        problems=(409,),
        idempotent=True,
        description="R-api3: the account is usable at once (its id starts live sessions); the "
        "person opens `invite.link` (or sends `/start <token>` to the bot) within 24 hours "
        "to take it in Telegram. R-acc2's limits: a 409 `role_full` (with `limit`); a handle "
        "another account has is a 409 `handle_taken` (with `account_id`).",
    ),
    Route(
        "PATCH",
        "/v1/accounts/{account_id}",
        "Set an account's platform handle",
        "accounts",
        update_account,
        params=AccountPath,
        body=AccountPatch,
        response=AccountOut,
        problems=(409,),
        description="R-api2: stored lowercase without a leading `@`; a handle another account "
        "has is a 409 `handle_taken`.",
    ),
    Route(
        "DELETE",
        "/v1/accounts/{account_id}",
        "Unlink an account (ends its live session, stops its distributions)",
        "accounts",
        unlink_account,
        params=AccountPath,
        response=AccountOut,
        problems=(403,),
        description="R-acc3: immediate. The seller's own account cannot be unlinked (403 "
        "`cannot_unlink_seller`).",
    ),
]
