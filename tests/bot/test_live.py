"""/live, /issue (buttons and direct), /stop, /endlive, and what viewers can then claim."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.rules.roles import Actor
from core.services import Services
from storage.models import Notification
from tests.bot.conftest import BotRig, Person, labels
from tests.conftest import draft


@pytest.fixture
async def live_voucher(services: Services, seller: Actor) -> int:
    v = await services.vouchers.create(seller, draft(name="Live 5 off", kind="live"))
    return v.id  # type: ignore[return-value]


@pytest.fixture
async def host(rig: BotRig, services: Services, seller: Actor) -> Person:
    invite = await services.accounts.create_invite(seller, "official")
    await services.accounts.accept_invite(invite.token, 2002, "Hank")
    return rig.person(2002, "Hank", "hank")


async def test_r_live2_issue_in_three_taps_from_not_live(
    rig: BotRig, host: Person, live_voucher: int, services: Services, seller: Actor
) -> None:
    m = await host.say("/issue")
    assert "not live" in m.content.plain_text
    m = await host.press(m, "🔴 Go live now")  # tap 1
    assert "Which LIVE voucher?" in m.content.plain_text
    m = await host.press(m, f"#{live_voucher} ")  # tap 2
    assert labels(m)[:4] == ["Watch 1 min", "Watch 3 min", "Watch 5 min", "Watch 10 min"]
    m = await host.press(m, "Watch 5 min")  # tap 3
    text = m.content.plain_text
    assert "Issued Live 5 off" in text and "watch 5 min" in text and "100 of 100 left" in text
    [d] = await services.live.distributions(seller)
    assert (d.voucher_id, d.task.minutes) == (live_voucher, 5)


async def test_issue_directly_stop_and_reissue_with_follow_warning(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    v = await services.vouchers.create(seller, draft(kind="live", per_customer_limit=3))
    m = await sally.say(f"/issue {v.id} follow")
    assert "not live" in m.content.plain_text
    assert "session #" in (await sally.say("/live")).content.plain_text
    m = await sally.say(f"/issue {v.id} sing")
    assert "watch &lt;minutes&gt;" in m.content.text or "watch <minutes>" in m.content.plain_text
    m = await sally.say(f"/issue {v.id} follow")
    assert "follow the host" in m.content.plain_text
    assert "1 is recommended" in m.content.plain_text  # R-adv2 warning from the core
    m = await sally.say(f"/issue {v.id} none")
    assert "already being distributed" in m.content.plain_text
    m = await sally.say("/stop")
    m = await sally.press(m, f"⏹ #{v.id}")
    assert "Stopped" in m.content.plain_text
    m = await sally.say(f"/issue {v.id} watch 3")
    assert "watch 3 min" in m.content.plain_text
    m = await sally.say(f"/stop {v.id}")
    assert "Stopped" in m.content.plain_text
    m = await sally.say(f"/stop {v.id}")
    assert "not being distributed" in m.content.plain_text
    ended = await sally.say("/endlive")
    assert "ended after" in ended.content.plain_text
    assert "not live right now" in (await sally.say("/endlive")).content.plain_text


async def test_custom_watch_time_bad_input_and_cancel(
    rig: BotRig, host: Person, live_voucher: int
) -> None:
    await host.say("/live")
    m = await host.say("/issue")
    m = await host.press(m, f"#{live_voucher} ")
    m = await host.press(m, "Other watch time")
    assert "How many minutes" in m.content.plain_text
    bad = await host.say("90")
    assert "from 1 to 60" in bad.content.plain_text
    done = await host.say("7")
    assert "watch 7 min" in done.content.plain_text
    m = await host.say("/issue")
    cancelled = await host.say("/cancel")
    assert "nothing was issued" in cancelled.content.plain_text


async def test_r_b3_stale_issue_button_after_deactivation(
    rig: BotRig, host: Person, live_voucher: int, services: Services, seller: Actor
) -> None:
    await host.say("/live")
    m = await host.say("/issue")
    await services.vouchers.deactivate(seller, live_voucher)
    m = await host.press(m, f"#{live_voucher} ")
    m = await host.press(m, "No task")
    assert "this one is deactivated" in m.content.plain_text
    assert await services.live.distributions(seller) == []


async def test_no_live_vouchers_and_the_team_hears_of_distributions(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await sally.say("/live")
    m = await sally.say("/issue")
    assert "no ongoing LIVE vouchers" in m.content.plain_text
    rig.standin.group(-100777, "Team", members=[sally.user])
    await sally.in_group(-100777).say("/team")
    v = await services.vouchers.create(seller, draft(kind="live"))
    await sally.say(f"/issue {v.id} none")
    claim = await services.claims.claim(seller.shop_id, v.id, "viewer-1")
    assert claim.distribution_id is not None
    async with services.db.read() as session:
        kinds = [n.kind for n in (await session.execute(select(Notification))).scalars()]
    assert "distribution_started" in kinds


@pytest.mark.parametrize("language", ["en", "id"])
async def test_issue_marks_a_handed_out_voucher_and_offers_stop(
    rig: BotRig, services: Services, seller: Actor, live_voucher: int, language: str
) -> None:
    """Issue 20: /issue marks a voucher already handed out, and choosing it gives ⏹ Stop
    instead of the dead end "stop it first with /stop"."""
    invite = await services.accounts.create_invite(seller, "official")
    await services.accounts.accept_invite(invite.token, 2003, "Hana")
    user = rig.standin.user(2003, "Hana", "hana", language_code=language)
    rig.people[2003] = Person(rig.standin, user)
    host = rig.people[2003]
    await host.say("/live")
    await host.say(f"/issue {live_voucher} watch 3")
    m = await host.say("/issue")
    [row] = [label for label in labels(m) if label.startswith(f"#{live_voucher} ")]
    assert "▶" in row
    m = await host.press(m, f"#{live_voucher} ")
    [stop] = labels(m)
    assert stop.startswith("⏹") and "/stop" not in m.content.plain_text
    m = await host.press(m, stop)
    assert f"#{live_voucher}" in m.content.plain_text
    assert await services.live.distributions(seller) == []


@pytest.mark.parametrize(
    ("language", "typed_minutes", "typed_when"),
    [("en", "7", "in 45 min"), ("id", "7", "45 menit lagi")],
)
async def test_r_l10n4_issue_and_drop_echo_what_was_read(
    rig: BotRig,
    services: Services,
    seller: Actor,
    live_voucher: int,
    language: str,
    typed_minutes: str,
    typed_when: str,
) -> None:
    """R-l10n4: a typed watch time and a typed drop time are echoed ("✏️ …") with the result;
    a count typed the Indonesian way with a decimal comma is refused, never read as 55."""
    invite = await services.accounts.create_invite(seller, "official")
    await services.accounts.accept_invite(invite.token, 2004, "Ika")
    user = rig.standin.user(2004, "Ika", "ika", language_code=language)
    rig.people[2004] = Person(rig.standin, user)
    host = rig.people[2004]
    await host.say("/live")
    m = await host.say("/issue")
    m = await host.press(m, f"#{live_voucher} ")
    m = await host.press(m, "⏰")  # Later…
    m = await host.press(m, labels(m)[0])  # watch 1 min
    m = await host.say(typed_when)
    assert m.content.plain_text.startswith("✏️") and "✅" in m.content.plain_text
    m = await host.say("/issue")
    m = await host.press(m, f"#{live_voucher} ")
    m = await host.press(m, labels(m)[6])  # Other watch time…
    m = await host.say("5,5")
    assert "✏️" not in m.content.plain_text and "5,5" in m.content.plain_text
    assert await services.live.distributions(seller) == []
    m = await host.say(typed_minutes)
    assert m.content.plain_text.startswith("✏️") and "7" in m.content.plain_text
    [d] = await services.live.distributions(seller)
    assert d.task.minutes == 7
