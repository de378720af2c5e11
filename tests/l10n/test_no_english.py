"""R-l10n4: no English word reaches a non-English chat — every notification kind core composes
(core/notifications.py) and every button label the services queue with one, rendered in each
language the way the sender renders them, is checked against a stop-list of English words."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, _, speaking, words
from core import notifications as n
from core.rules.live import Task, TaskType
from core.rules.vouchers import Warning
from storage.models import Account, Shop, Voucher

# Common English words that no other language of ours borrows (loanwords such as voucher, host,
# LIVE, drop, shop, official and marketing are used on purpose, and so are `per` and `minimum`
# in Indonesian and Malay and `no` in Spanish; see docs/glossary.md).
_STOP_LIST = """
    the is was of and with by for to at off left claimed claims opened ended period will sell
    sold out about until after before from has have been are were it its this that your you
    nobody won entry entries winner winners seed commitment minute minutes quantity add my
    drops because account session scheduled fired failed due but distributing distribution
    stopped started linked unlinked deactivated used days day lucky draw drawn prize prizes
    rate asks more less than order spend buyer pays maximum discount basket low regular
    interactive viewers once issues task watch follow none"""
ENGLISH = frozenset(re.findall(r"\w+", _STOP_LIST))
SHOP = Shop(id=1, name="Toko", currency="IDR", timezone="Asia/Jakarta", language="id")
AT = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
HOST = Account(id=7, shop_id=1, role="marketing", display_name="Budi", linked_at=AT)


def _voucher(kind: str = "live", **overrides: object) -> Voucher:
    fields: dict[str, object] = {
        "id": 12,
        "shop_id": 1,
        "name": "Promo 12",
        "kind": kind,
        "discount_type": "percent",
        "percent": 20,
        "max_discount": 5_000_000,
        "min_spend": 20_000_000,
        "total_quantity": 100,
        "claimed": 80,
        "redeemed": 5,
        "starts_at": AT,
        "ends_at": AT,
        "redeem_until": AT,
        "created_at": AT,
        "updated_at": AT,
    }
    return Voucher(**(fields | overrides))


def every_notification() -> dict[str, n.Message]:
    v, watch = _voucher(), Task(TaskType.WATCH, 5)
    regular = _voucher("regular", discount_type="amount", amount=1_000_000, valid_days=7)
    warning = Warning(
        "low", "", {"basket": 10**7, "nominal": 2 * 10**6, "capped": 10**5, "final_price": 10**7}
    )
    found: dict[str, n.Message] = {
        "low_discount": n.low_discount_text(SHOP, v, warning, HOST),
        "quota_low": n.quota_text("Promo", 12, 80, 100),
        "sold_out": n.quota_text("Promo", 12, 100, 100),
        "opened_live": n.opened_text(SHOP, v),
        "opened_regular": n.opened_text(SHOP, regular),
        "closed": n.closed_text(SHOP, v),
        "closed_days": n.closed_text(SHOP, regular),
        "linked": n.linked_text(HOST),
        "unlinked": n.unlinked_text(HOST),
        "deactivated": n.deactivated_text(v, HOST, 3),
        "session_ended": n.session_ended_text(3, HOST, 42, 17),
        "session_short": n.session_ended_text(3, None, 0, 1),
        "drop_scheduled": n.drop_scheduled_text(HOST, v, 3, AT, SHOP, watch),
        "drop_fired": n.drop_settled_text("Promo", 3, watch, "fired", None),
        "sellout": n.sellout_text(v, 4, 25, 20, 3, HOST),
        "ask_more": n.ask_more_text(HOST, "Promo", 12, 20, 100),
        "drops_cancelled": n.drops_cancelled_text(3, 2),
        "draw_opened": n.draw_opened_text(
            HOST,
            v,
            3,
            Task(TaskType.FOLLOW),
            winners=3,
            entry_minutes=5,
            fingerprint="ABCD-1234",
            beacon=True,
            verify_url="https://shop.example/verify",
        ),
        "draw_opened_seed_only": n.draw_opened_text(
            HOST,
            v,
            3,
            Task(TaskType.FOLLOW),
            winners=3,
            entry_minutes=5,
            fingerprint="ABCD-1234",
            beacon=False,
        ),
        "draw_beacon_wait": n.draw_beacon_wait_text(v, 3),
        "webhook_disabled": n.webhook_disabled_text("https://hooks.example.com/vb"),
        "draw_cancelled": n.draw_cancelled_text(v, "session_ended", HOST, 4),
    }
    for reason in ("stopped", "session_ended", "deactivated", "account_unlinked", "x"):
        found[f"stopped_{reason}"] = n.distribution_stopped_text(v, watch, reason, HOST)
    found["started"] = n.distribution_started_text(HOST, v, 3, Task(TaskType.NONE))
    for code in (
        "session_ended",
        "not_distributable",
        "distribution_active",
        "sold_out",
        "not_live_voucher",
        "voucher_not_found",
        "forbidden",
        None,
    ):
        found[f"drop_failed_{code}"] = n.drop_settled_text("Promo", 3, watch, "failed", code)
    for entries, claims, over, sold, gone, beacon, missing in [
        (0, 0, 0, False, False, False, False),
        (9, 3, 0, False, False, True, False),
        (9, 1, 1, True, True, False, True),
        (2, 2, 0, False, False, False, False),
    ]:
        outcome = n.DrawOutcome(
            3, 3, entries, claims, over, sold, gone, "CDCD-CDCD", beacon, missing
        )
        found[f"draw_result_{entries}_{claims}"] = n.draw_result_text(v, outcome)
    return found


def every_button_label() -> list[str]:
    """Every `label("…")` the services queue with a notification."""
    root = Path(__file__).resolve().parents[2] / "core"
    labels: list[str] = []
    for path in root.rglob("*.py"):
        labels += re.findall(r'\blabel\("([^"]+)"\)', path.read_text(encoding="utf-8"))
    assert labels, "no button labels found"
    return labels


def english_words(text: str) -> set[str]:
    plain = unescape(re.sub(r"<[^>]+>", " ", text))
    plain = re.sub(r"/\w+", " ", plain)  # commands stay as they are typed
    return {w for w in re.findall(r"[a-z]+", plain.lower()) if w in ENGLISH}


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_r_l10n4_no_english_word_in_notifications_and_buttons(language: str) -> None:
    leaks: dict[str, set[str]] = {}
    with speaking(language):
        renderer = words()
        for kind, message in every_notification().items():
            found = english_words(renderer.render(message))
            if found:
                leaks[kind] = found
        for text in every_button_label():
            found = english_words(_(text))
            if found:
                leaks[f"button {text}"] = found
    assert leaks == {}


def test_r_l10n4_the_stop_list_catches_english() -> None:
    with speaking("en"):
        rendered = words().render(every_notification()["sellout"])
    assert english_words(rendered)  # the English text itself is caught


def test_r_l10n1_rates_use_the_languages_decimal_mark() -> None:
    v = _voucher()
    with speaking("id"):
        assert "2,5" in words().render(n.sellout_text(v, 4, 25, 20, 3, HOST))
    assert "2.5" in n.ENGLISH.render(n.sellout_text(v, 4, 25, 20, 3, HOST))


def test_every_notification_builder_is_rendered_above() -> None:
    """A new `*_text` builder in core/notifications.py must join `every_notification`."""
    import inspect

    source = inspect.getsource(every_notification)
    builders = {name for name in dir(n) if name.endswith("_text") and callable(getattr(n, name))}
    builders -= {"discount_text"}  # a part of opened_text, rendered there
    assert {b for b in builders if f"n.{b}(" not in source} == set()
