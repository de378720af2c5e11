"""The smaller items of issue 20, each with its rule: times written one way, …"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import DATE_FORMATS, LANGUAGES, clock, speaking, when

AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_r_l10n1_a_time_is_written_one_way_per_language(language: str) -> None:
    """The team chat's dates (`when`) and the panel's and drops' times (`clock`) agree."""
    with speaking(language):
        assert clock(AT, "Asia/Jakarta") in when(AT, "Asia/Jakarta")
        local = AT.astimezone(ZoneInfo("Asia/Jakarta"))
        assert clock(local) == clock(AT, "Asia/Jakarta")  # a local instant keeps its clock
    assert DATE_FORMATS[language]


def test_r_l10n1_indonesian_times_use_a_dot() -> None:
    with speaking("id"):
        assert clock(AT, "Asia/Jakarta") == "10.00"
    with speaking("th"):
        assert clock(AT, "Asia/Bangkok") == "10:00"


def test_labels_are_cut_at_a_word_with_an_ellipsis() -> None:
    from bot.telegram.keyboards import fit

    assert fit("Diskon 20% min. belanja Rp200.000", 28) == "Diskon 20% min. belanja…"
    assert fit("Promo", 28) == "Promo"
    assert len(fit("x" * 50, 28)) == 28 and fit("x" * 50, 28).endswith("…")


def test_indonesian_names_start_with_a_capital_and_say_discount_once() -> None:
    from bot.i18n import _
    from bot.telegram.voucher_draft import auto_name

    with speaking("id"):
        name = auto_name({"dtype": "percent", "percent": 20, "min": 20_000_000}, "IDR")
        assert name[0].isupper() and "Rp200.000" in name
        line = _("Discount: {discount}").format(
            discount=_("{percent}% off, max {cap} per order").format(percent=20, cap="Rp5.000")
        )
        assert line.lower().count("diskon") == 1
        assert "kurang dari semenit" in _("sells out in under a minute")
        assert "sekitar" not in _("sells out in under a minute")


async def test_stats_call_a_sold_out_voucher_sold_out_as_quota_does(services, seller) -> None:  # type: ignore[no-untyped-def]
    from bot.exports import promotion_csv
    from tests.conftest import draft

    v = await services.vouchers.create(seller, draft(total_quantity=1))
    other = await services.vouchers.create(seller, draft(name="Other"))
    await services.claims.claim(seller.shop_id, v.id, "buyer-1")
    rows = {r.voucher_id: r for r in await services.analytics.promotions(seller)}
    assert rows[v.id].status == "ongoing"  # the API's status is unchanged (docs/api.md)
    assert rows[v.id].shown_status == "sold_out" and rows[other.id].shown_status == "ongoing"
    with speaking("id"):
        text = promotion_csv(list(rows.values()), "USD").decode("utf-8-sig")
    assert "habis" in text and "ongoing" not in text


async def test_r_drop1_ending_a_session_tells_host_and_team_of_cancelled_drops(
    services,  # type: ignore[no-untyped-def]
    seller,
) -> None:
    from core.notifications import Words, unpack
    from tests.conftest import draft
    from tests.core.helpers import outbox

    team = -100_555
    await services.shops.set_team_chat(seller, team)
    invite = await services.accounts.create_invite(seller, "official")
    host = (await services.accounts.accept_invite(invite.token, 2002, "Hank")).actor
    v = await services.vouchers.create(seller, draft(name="Live", kind="live"))
    live = await services.live.start_session(host)
    for seconds in (120, 240):
        await services.drops.schedule(host, live.id, v.id, "none", in_seconds=seconds)
    await services.live.end_session(host, live.id)
    told = await outbox(services, "drops_cancelled")
    assert sorted(n.chat_id for n in told) == [team, 2002]
    english, envelope = unpack(told[0].text)
    assert "2 pending drops were cancelled" in english
    assert envelope is not None
    with speaking("id"):
        from bot.i18n import words

        assert "drop" in words().render(envelope["msg"])
    assert isinstance(Words(), Words)
    # A session without pending drops says nothing more.
    live = await services.live.start_session(host)
    await services.live.end_session(host, live.id)
    assert len(await outbox(services, "drops_cancelled")) == 2
