"""R-b5 and R-b6 end to end: step indicator, Back and Cancel on every step of the flows,
products picked by ids, next steps after Submit, unknown commands, and the transcript scan."""

from __future__ import annotations

import re

import pytest

from bot.telegram.voucher_flow import TABLE, Draft
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, Person, everyone_no_limits, labels
from tests.bot.transcript_scan import problems_in, visible_words
from tests.conftest import NOW, draft

STEP = re.compile(r"Step (\d+) of (\d+)")


def step_of(text: str) -> tuple[int, int]:
    found = STEP.search(text)
    assert found, f"no step indicator in {text!r}"
    return int(found.group(1)), int(found.group(2))


class Seen(list):  # type: ignore[type-arg]
    """(text, button labels, message) of each question as it was shown (edits change the
    message later)."""

    def append(self, m) -> None:  # type: ignore[no-untyped-def, override]
        super().append((m.content.plain_text, labels(m), m))


async def walk_to_summary(sally: Person, percent: bool = False) -> Seen:
    """Answers every step by buttons (typing where a step has none), checking each one."""
    seen = Seen()
    m = await sally.say("/newvoucher")
    seen.append(m)
    m = await sally.press(m, "Regular")
    seen.append(m)
    m = await sally.press(m, "Percentage off" if percent else "Amount off")
    seen.append(m)
    if percent:
        m = await sally.press(m, "20%")
        seen.append(m)
        m = await sally.press(m, "$5.00")
    else:
        m = await sally.say("5")
    seen.append(m)
    m = await sally.press(m, "No minimum")
    seen.append(m)
    m = await sally.press(m, "Entire shop")
    seen.append(m)
    m = await sally.press(m, "100")
    seen.append(m)
    m = await sally.press(m, "1")
    seen.append(m)
    m = await sally.press(m, "Now, 7 days")
    seen.append(m)
    for label in ("All buyers", "No budget", "No code", "No limit"):
        m = await sally.press(m, label)
        seen.append(m)
    m = await sally.press(m, "Use “")
    seen.append(m)
    return seen


@pytest.mark.parametrize("percent", [False, True])
async def test_r_b6_every_newvoucher_step_has_its_number_back_and_cancel(
    rig: BotRig, sally: Person, seller: Actor, percent: bool
) -> None:
    seen = await walk_to_summary(sally, percent)
    *steps, (summary_text, summary_labels, summary) = seen
    total = 14 if percent else 13
    for n, (text, shown, _) in enumerate(steps, start=1):
        # The total grows when an answer adds a step (percentage off adds the maximum).
        assert step_of(text) == (n, total if n > 2 else 13)
        assert "✖ Cancel" in shown
        assert ("◀ Back" in shown) == (n > 1)
    assert "Check your voucher" in summary_text
    assert "✖ Cancel" in summary_labels and "◀ Back" in summary_labels
    # Back walks the path in reverse, keeping the answers.
    m = await sally.press(summary, "◀ Back")
    assert "Name the voucher" in m.content.plain_text
    m = await sally.press(m, "◀ Back")
    assert "How many orders may use it?" in m.content.plain_text
    for _ in range(total - 2):
        m = await sally.press(m, "◀ Back")
    assert step_of(m.content.plain_text) == (1, total)
    assert "◀ Back" not in labels(m)
    m = await sally.press(m, "✖ Cancel")
    assert "Cancelled" in m.content.plain_text


def test_r_b6_the_table_is_the_graph() -> None:
    """Every step on any path exists; Back of the first step is nothing; the path of a percent
    draft with products has 15 steps, of a LIVE one 14 (no promo code, R-code)."""
    d = Draft(dtype="percent", scope="products")
    assert TABLE.path(d) == [
        "kind",
        "dtype",
        "value",
        "max",
        "min",
        "scope",
        "products",
        "qty",
        "per",
        "period",
        "segment",
        "budget",
        "code",
        "uses",
        "name",
    ]
    assert "code" not in TABLE.path(Draft(kind="live"))
    assert all(s in TABLE.steps for s in TABLE.path(d))
    assert TABLE.back_of("kind", d, False) is None
    assert TABLE.back_of("qty", d, False) == ("products", {})
    assert TABLE.back_of("qty", Draft(), False) == ("scope", {})
    assert TABLE.back_of("qty", d, True) == ("summary", {})
    assert TABLE.position("max", d) == (4, 15)


async def catalog(services: Services, seller: Actor) -> None:
    await services.products.upsert(seller, "TON-01", name="Toner", category="Beauty", price=3_000)
    await services.products.upsert(seller, "B-1", name="Kettle", category="Home", price=4_000)


async def to_scope(sally: Person):  # type: ignore[no-untyped-def]
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "Regular")
    m = await sally.press(m, "Amount off")
    m = await sally.say("2")
    return await sally.press(m, "No minimum")


async def test_r_b6_products_by_ids_flag_unknown_and_go_back_to_entire_shop(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await catalog(services, seller)
    m = await to_scope(sally)
    m = await sally.press(m, "Specific products")
    assert "Entire shop instead" in " ".join(labels(m))
    m = await sally.say("NOPE-99, TON-01")
    text = m.content.plain_text
    assert "1 selected: TON-01" in text
    assert "Not found in your shop: NOPE-99" in text
    m = await sally.press(m, "« Entire shop instead")
    assert "Total voucher quantity?" in m.content.plain_text
    m = await sally.press(m, "◀ Back")
    assert "Which products" in m.content.plain_text  # the picker is no longer on the path


async def test_r_b6_no_products_says_they_come_from_the_platform(
    rig: BotRig, sally: Person, seller: Actor
) -> None:
    m = await to_scope(sally)
    m = await sally.press(m, "Specific products")
    assert "come from the platform" in m.content.plain_text
    m = await sally.press(m, "« Entire shop instead")
    assert "Total voucher quantity?" in m.content.plain_text


async def test_r_b6_period_example_is_in_the_future_and_accepted(
    rig: BotRig, sally: Person, seller: Actor, clock
) -> None:
    m = await to_scope(sally)
    m = await sally.press(m, "Entire shop")
    m = await sally.press(m, "100")
    m = await sally.press(m, "1")
    example = re.search(r"like (\S+ \S+ to \S+ \S+)", m.content.plain_text)
    assert example, m.content.plain_text
    m = await sally.say(example.group(1))  # the prompt's own example is valid right now
    assert "Who can claim it?" in m.content.plain_text


async def test_r_b6_max_discount_suggestions_and_voucher_name_asked(
    rig: BotRig, sally: Person, seller: Actor
) -> None:
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "Regular")
    m = await sally.press(m, "Percentage off")
    m = await sally.press(m, "10%")
    assert "Maximum discount per order?" in m.content.plain_text
    assert labels(m)[:4] == ["$5.00", "$10.00", "$20.00", "$50.00"]


async def test_r_b6_after_submit_next_steps_as_buttons(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    *_, (_, _, summary) = await walk_to_summary(sally)
    done = await sally.press(summary, "✅ Submit")
    assert "Voucher created" in done.content.plain_text
    assert labels(done) == ["📋 Its details", "➕ Create another"]
    again = await sally.press(done, "➕ Create another")
    assert step_of(again.content.plain_text) == (1, 13)
    details = await sally.press(done, "📋 Its details")
    assert "Claim period" in details.content.plain_text


async def test_r_b6_live_voucher_created_while_live_offers_issue_it_now(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await sally.say("/live")
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "LIVE Interactive")
    m = await sally.press(m, "Amount off")
    m = await sally.say("5")
    m = await sally.press(m, "No minimum")
    m = await sally.press(m, "Entire shop")
    m = await sally.press(m, "100")
    m = await sally.press(m, "1")
    m = await sally.press(m, "Now, 24 hours")
    m = await everyone_no_limits(sally, m, live=True)
    m = await sally.press(m, "Use “")
    done = await sally.press(m, "✅ Submit")
    assert labels(done)[0] == "🎟 Issue it now"
    task = await sally.press(done, "🎟 Issue it now")
    assert "Task for" in task.content.plain_text
    issued = await sally.press(task, "No task")
    assert "Issued" in issued.content.plain_text


@pytest.mark.parametrize("command", ["/foo", "/newvoucher_x", "/foo@voucherbot bar"])
async def test_r_b5_unknown_command_points_to_help(
    rig: BotRig, sally: Person, stranger: Person, seller: Actor, command: str
) -> None:
    for person in (sally, stranger):
        reply = await person.say(command)
        assert "/help" in reply.content.plain_text
        assert "don't know" in reply.content.plain_text


async def test_r_b5_commands_in_another_case_are_understood(
    rig: BotRig, sally: Person, seller: Actor
) -> None:
    reply = await sally.say("/Quota")  # Telegram clients may capitalise; PTB matches any case
    assert "ongoing" in reply.content.plain_text


def test_r_b5_the_scan_catches_leaks() -> None:
    """The suite-wide scan must be able to fail."""
    assert problems_in("The discount must be less than the minimum spend (R-v3)") == ["R-v3"]
    assert problems_in("The end must be after starts_at") == ["starts_at"]
    assert problems_in("discount.percent: must be 1–99") == ["discount.percent"]
    assert problems_in("Traceback (most recent call last):") == ["Traceback"]
    assert problems_in("WARNING notification 22 failed for good") == ["WARNING"]
    assert problems_in("Step 3 of 9 · $5.00 off · Asia/Ho_Chi_Minh") == []
    assert visible_words("key <code>vb_live_x</code> at https://t.me/bot?start=a_b") == (
        "key   at  "
    )


async def test_r_b6_stats_is_paged_with_its_heading_on_every_page(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    for i in range(7):
        await services.vouchers.create(seller, draft(name=f"Deal {i}"))
    first = await sally.say("/stats")
    await rig.standin.wait_for(  # the chart follows the figures
        lambda: any(x.kind == "photo" for x in rig.standin.messages(sally.chat)), 5.0
    )
    texts = [first.content.plain_text]
    page = await sally.press(first, "▶")
    texts.append(page.content.plain_text)
    for n, text in enumerate(texts, start=1):
        assert text.startswith(f"📊 Vouchers — core data · page {n} of 2")
        assert "Promotion list by revenue" in text
    rows = [line for text in texts for line in text.splitlines() if line[:2] in ("1.", "6.")]
    assert len(rows) == 2  # rank 1 on page 1, rank 6 on page 2: nobody cut off
    assert sum(len(re.findall(r"^\d+\. /v_\d+", t, re.M)) for t in texts) == 7


async def test_r_b5_sold_out_reads_as_sold_out(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    v = await services.vouchers.create(seller, draft(name="Tiny", total_quantity=1))
    await services.claims.claim(seller.shop_id, v.id, "b1")  # type: ignore[arg-type]
    details = await sally.say(f"/v_{v.id}")
    assert "🔴 Sold out" in details.content.plain_text
    assert "Ongoing" not in details.content.plain_text
    listed = await sally.say("/vouchers")
    assert "sold out" in listed.content.plain_text


def test_r_b5_forecast_wording_agrees_with_its_rate() -> None:
    from datetime import timedelta

    from bot.telegram.analytics_words import forecast_text
    from core.services.forecast import SelloutForecast

    f = SelloutForecast(1, 2, 3, 4, remaining=24, claims_per_minute=1.4, sellout_at=None)
    text = forecast_text(f, NOW)
    assert text == "⏳ Sell-out forecast: in about 17 minutes at 1.4 claims a minute, 24 left."
    soon = SelloutForecast(1, 2, 3, 4, 3, 6.0, NOW + timedelta(seconds=30))
    assert "in under a minute" in (forecast_text(soon, NOW) or "")
    gone = SelloutForecast(1, 2, 3, 4, 0, 6.0, None)
    assert "Sold out" in (forecast_text(gone, NOW) or "")


def test_claims_axis_has_whole_number_ticks() -> None:
    from datetime import timedelta

    from bot.charts import trend_figure
    from core.services.analytics import Trend, TrendPoint

    start = NOW
    points = [
        TrendPoint(start + timedelta(days=i), claims=c, usage=0, revenue=0)  # type: ignore[call-arg]
        for i, c in enumerate((0, 1, 0, 1))
    ]
    trend = Trend("day", "UTC", "USD", start, start + timedelta(days=4), None, None, tuple(points))
    fig = trend_figure(trend, "t")
    ticks = fig.axes[0].get_yticks()
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


async def test_setup_by_someone_already_in_a_shop(
    rig: BotRig, sally: Person, stranger: Person, services: Services, seller: Actor
) -> None:
    reply = await sally.say("/setup Another Shop")
    text = reply.content.plain_text
    assert "You already run" in text and "Another Shop" in text
    assert "USD" in " ".join(labels(reply)) and "✔ Done" in labels(reply)
    done = await sally.press(reply, "✔ Done")
    said = done.content.plain_text
    assert said.startswith("Nothing changed.") and "USD" in said
    help_text = (await sally.say("/help")).content.plain_text
    assert "/setup <shop name>" not in help_text and "currency and time zone" in help_text
    invite = await services.accounts.create_invite(seller, "official")
    await services.accounts.accept_invite(invite.token, stranger.user.id, "Stan")
    reply = await stranger.say("/setup My Own Shop")
    assert "already linked to" in reply.content.plain_text
    assert "/setup" not in (await stranger.say("/help")).content.plain_text


async def test_r_acc2_a_pasted_invite_link_links_the_account(
    rig: BotRig, stranger: Person, services: Services, seller: Actor
) -> None:
    invite = await services.accounts.create_invite(seller, "marketing")
    link = f"https://t.me/voucherbot?start={invite.token}"
    reply = await stranger.say(f"/start {link}")
    assert "You're now linked" in reply.content.plain_text
    again = await services.accounts.create_invite(seller, "marketing")
    other = rig.person(4004, "Olga")
    pasted = await other.say(f"t.me/voucherbot?start={again.token}")  # pasted as a message
    assert "You're now linked" in pasted.content.plain_text


@pytest.mark.parametrize("command", ["/link", "/apikey revoke", "/stop", "/deactivate"])
async def test_r_b6_cancel_on_every_picker(
    rig: BotRig, sally: Person, services: Services, seller: Actor, command: str
) -> None:
    v = await services.vouchers.create(seller, draft(name="Live one", kind="live"))
    await services.api_keys.create(seller)
    if command == "/stop":
        await sally.say("/live")
        await sally.say(f"/issue {v.id} none")
    picker = await sally.say(command)
    assert "✖ Cancel" in labels(picker), (command, labels(picker))
    gone = await sally.press(picker, "✖ Cancel")
    assert "Cancelled" in gone.content.plain_text


async def test_r_b6_other_watch_time_has_back_and_cancel(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft(name="Live one", kind="live"))
    await sally.say("/live")
    m = await sally.say("/issue")
    m = await sally.press(m, "#")
    m = await sally.press(m, "Other watch time")
    assert labels(m) == ["◀ Back", "✖ Cancel"]
    m = await sally.press(m, "◀ Back")
    assert "Task for" in m.content.plain_text
    m = await sally.press(m, "Other watch time")
    m = await sally.press(m, "✖ Cancel")
    assert "Cancelled" in m.content.plain_text


async def test_r_b6_issue_and_addqty_steps_have_number_back_and_cancel(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft(name="Live one", kind="live"))
    await sally.say("/live")
    m = await sally.say("/issue")
    shown = [(m.content.plain_text, labels(m))]
    m = await sally.press(m, "#")
    shown.append((m.content.plain_text, labels(m)))
    m = await sally.press(m, "Other watch time")
    shown.append((m.content.plain_text, labels(m)))
    assert [step_of(text) for text, _ in shown] == [(1, 2), (2, 2), (3, 3)]
    assert ["◀ Back" in b for _, b in shown] == [False, True, True]
    assert all("✖ Cancel" in b for _, b in shown)
    m = await sally.press(m, "◀ Back")
    assert step_of(m.content.plain_text) == (2, 2)
    m = await sally.press(m, "◀ Back")
    assert step_of(m.content.plain_text) == (1, 2)
    await sally.press(m, "✖ Cancel")

    m = await sally.say("/addqty")
    assert step_of(m.content.plain_text) == (1, 2) and "◀ Back" not in labels(m)
    m = await sally.press(m, "#")
    assert step_of(m.content.plain_text) == (2, 2) and "◀ Back" in labels(m)
    m = await sally.press(m, "◀ Back")
    assert step_of(m.content.plain_text) == (1, 2)
    m = await sally.press(m, "#")
    done = await sally.press(m, "+10")
    assert "Added 10" in done.content.plain_text


async def test_r_b6_setup_name_prompt_has_cancel(
    rig: BotRig, stranger: Person, services: Services
) -> None:
    m = await stranger.say("/setup")
    assert "shop's name" in m.content.plain_text and labels(m) == ["✖ Cancel"]
    gone = await stranger.press(m, "✖ Cancel")
    assert "no shop was created" in gone.content.plain_text
    after = await stranger.say("Acme")  # the flow is over: no shop from a stray message
    assert "/help" in after.content.plain_text
    assert await services.accounts.membership(stranger.user.id) is None


async def test_r_b5_unknown_commands_in_a_group_only_when_addressed_to_the_bot(
    rig: BotRig, sally: Person, seller: Actor
) -> None:
    rig.standin.group(-100777, "Acme team", members=[sally.user])
    team = sally.in_group(-100777)
    mark = rig.standin.mark()
    username = rig.side.bot.username
    reply = await team.say(f"/foo@{username}")
    assert "don't know /foo" in reply.content.plain_text
    await rig.standin.send_text(sally.user, "/weather@otherbot", -100777)  # another bot's
    help_reply = await team.say("/help")  # answered in order: nothing came for /weather
    assert "In a group" in help_reply.content.plain_text
    said = [
        e.content.plain_text
        for e in rig.standin.events[mark:]
        if e.kind == "bot_message" and e.content is not None
    ]
    assert not any("weather" in (t or "") for t in said)
    assert len(said) == 2


async def test_r_n1_team_reads_claim_period_opened_before_is_distributing(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    """A voucher issued the moment it starts: the opening comes first, once, even though
    the schedule had not announced it yet (and it won't later)."""
    from sqlalchemy import select

    from storage.models import Notification

    await services.shops.set_team_chat(seller, -100888)
    v = await services.vouchers.create(seller, draft(name="Now", kind="live"))
    await sally.say("/live")
    await sally.say(f"/issue {v.id} none")
    async with services.db.read() as session:
        rows = (await session.execute(select(Notification).order_by(Notification.id))).scalars()
        kinds = [n.kind for n in rows if n.kind in ("claim_period_opened", "distribution_started")]
    assert kinds == ["claim_period_opened", "distribution_started"]
    assert await services.schedule.open_claim_period(v.id) is False  # already announced
