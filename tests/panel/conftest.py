"""The bot rig of tests/bot, plus a live panel refresher driven by the test (no loop: the
test calls `tick()` and moves the frozen service clock, which is the throttle's time)."""

from __future__ import annotations

import pytest

from bot.telegram.live_panel import PanelRefresher
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, Person, rig, sally, standin  # noqa: F401
from tests.conftest import draft


@pytest.fixture
def panels(rig: BotRig) -> PanelRefresher:  # noqa: F811
    """The Application's one refresher, the one the panel's buttons use (R-live5)."""
    assert rig.side.panels is not None
    return rig.side.panels


@pytest.fixture
async def host(rig: BotRig, services: Services, seller: Actor) -> Person:  # noqa: F811
    invite = await services.accounts.create_invite(seller, "official")
    await services.accounts.accept_invite(invite.token, 2002, "Hank")
    rig.standin.user(2002, "Hank", "hank", started=True)
    return rig.person(2002, "Hank", "hank")


@pytest.fixture
async def live_voucher(services: Services, seller: Actor) -> int:
    v = await services.vouchers.create(seller, draft(name="Live 5 off", kind="live"))
    return v.id  # type: ignore[return-value]
