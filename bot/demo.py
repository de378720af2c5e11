"""`voucherbot demo`: an offline tour of the whole product through the local Telegram stand-in.

A seller sets up a shop, creates a Regular and a LIVE voucher (meeting the low maximum
discount warning), makes a group the team chat and links a marketing host; the host goes live
and issues the LIVE voucher with a watch task; viewers claim it through the core as the
platform would; the quota runs low and the team chat is told; viewers buy, and the seller
reads /stats (with its trend chart) and /advice. The conversation is printed.

`--lang id` (or th, vi, ms, es) plays the tour in that language (R-l10n1): the people's
Telegram apps are set to it, the seller chooses it for the team chat with /language, they
tap the buttons by their translated labels, and the narration is translated too.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.i18n import LANGUAGES, N_, _, activate, capital, money
from bot.telegram.application import TelegramSide
from bot.telegram.live_panel import PanelRefresher
from bot.telegram.outbox_sender import OutboxSender, TelegramLimits
from bot.telegram_standin import RecordedMessage, TelegramStandIn, TgUser, format_transcript
from core.clock import SystemClock
from core.errors import ClaimRefused
from core.rules.roles import Actor
from core.services import Services
from storage.db import Database
from storage.migrate import upgrade

SELLER, HOST, TEAM = 1001, 2002, -100_1234


@dataclass(frozen=True)
class Market:
    """The tour in a seller's market (R-l10n5): the shop starts in the language's currency, so
    prices scale from the US tour's cents, and the amounts are typed as that market writes them
    (R-l10n4): `5rb` in Indonesian, `125k` in Vietnamese."""

    scale: int  # minor units of the currency per US cent
    typed: tuple[str, str, str]  # the regular discount, its minimum spend, the LIVE cap


MARKETS = {
    "USD": Market(1, ("5", "20", "1")),
    "IDR": Market(1_000, ("5rb", "20.000", "1rb")),
    "THB": Market(30, ("150", "600 บาท", "30")),
    "VND": Market(250, ("125k", "500.000", "25k")),
    "MYR": Market(4, ("20", "RM80", "4")),
    "EUR": Market(1, ("5", "20 €", "1")),
}
# Why a claim was refused, for the narration (the API's codes stay English, R-l10n3).
REFUSALS = {
    "voucher_not_found": N_("the voucher doesn't exist"),
    "not_claimable": N_("the voucher can't be claimed now"),
    "no_active_distribution": N_("nobody is issuing the voucher now"),
    "task_not_met": N_("the task isn't done yet"),
    "limit_reached": N_("already claimed"),
    "sold_out": N_("sold out"),
}
REFUSED = N_("refused")
WAIT = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="database to run the tour on (default: a temporary SQLite file, deleted after)",
    )
    parser.add_argument("--color", action="store_true", help="colour the transcript (ANSI)")
    parser.add_argument(
        "--lang",
        choices=list(LANGUAGES),
        default="en",
        help="the language the seller and the host use (default: en)",
    )
    parser.add_argument(
        "--save-media", metavar="DIR", help="save the photos and documents the bot sent to DIR"
    )


class Player:
    """One person in the tour, typing and tapping through the stand-in."""

    def __init__(self, standin: TelegramStandIn, user: TgUser, chat: int | None = None) -> None:
        self.standin, self.user, self.chat = standin, user, chat

    async def say(self, text: str) -> RecordedMessage:
        return await self.standin.ask(self.user, text, self.chat, timeout=WAIT)

    async def press(self, message: RecordedMessage, label: str) -> RecordedMessage:
        return await self.press_nth(message, label, 0)

    async def press_nth(self, message: RecordedMessage, label: str, nth: int) -> RecordedMessage:
        """The `nth` button (from 0) whose label contains `label` at its start (after a ✔)."""
        found = [
            b.callback_data
            for row in message.buttons
            for b in row
            if b.callback_data and (b.text or "").removeprefix("✔ ").startswith(label)
        ]
        data = found[nth]
        press = await self.standin.press_button(self.user, message, data, chat=self.chat)
        target = self.chat if self.chat is not None else self.user.id
        return await self.standin.next_reply(target, WAIT, since=press.seq)


class Tour:
    def __init__(
        self,
        services: Services,
        standin: TelegramStandIn,
        panels: PanelRefresher,
        *,
        ansi: bool,
        lang: str = "en",
    ) -> None:
        self.services, self.standin, self.ansi, self.lang = services, standin, ansi, lang
        self.currency, self.market = "USD", MARKETS["USD"]
        self.panels = panels  # R-live5: the host's live panel, refreshed as the leader would
        self.sally = Player(
            standin, standin.user(SELLER, "Sally", "sally_shop", language_code=lang)
        )
        self.hank = Player(standin, standin.user(HOST, "Hank", "hank_live", language_code=lang))
        standin.group(TEAM, "Acme team", members=[self.sally.user, self.hank.user])
        self.team = Player(standin, self.sally.user, TEAM)
        self.mark = 0

    def chapter(self, title: str, note: str = "") -> None:
        print(format_transcript(self.standin, since=self.mark, ansi=self.ansi), end="")
        self.mark = self.standin.mark()
        print(f"\n━━━ {title} ━━━")
        if note:
            print(f"({note})")

    async def seller_sets_up(self) -> Actor:
        self.chapter(_("1. The seller sets up the shop and the team chat"))
        await self.sally.say("/start")
        await self.sally.say("/setup Acme Beauty")
        if self.lang in LANGUAGES and self.lang != "en":
            # The team chat speaks the shop's language, which the seller chooses (R-l10n1).
            m = await self.sally.say("/language")
            await self.sally.press_nth(m, LANGUAGES[self.lang], 1)
        await self.team.say("/team")
        member = await self.services.accounts.membership(SELLER)
        assert member is not None
        if member.shop.currency in MARKETS:
            self.currency, self.market = member.shop.currency, MARKETS[member.shop.currency]
        platform = Actor.platform(member.shop.id)
        for pid, name, category, price in (
            ("LIP-01", "Velvet lipstick", "Beauty", 10_000),
            ("MSC-02", "Volume mascara", "Beauty", 2_500),
            ("KTL-03", "Travel kettle", "Home", 4_000),
        ):
            await self.services.products.upsert(
                platform, pid, name=name, category=category, price=price * self.market.scale
            )
        return member.actor

    async def regular_voucher(self) -> None:
        amount, minimum = (money(n * self.market.scale, self.currency) for n in (500, 2000))
        self.chapter(
            _("2. A Regular voucher: {amount} off over {minimum}").format(
                amount=amount, minimum=minimum
            ),
            _("the platform synced 3 products"),
        )
        m = await self.sally.say("/newvoucher")
        m = await self.sally.press(m, _("Regular"))
        m = await self.sally.press(m, _("Amount off"))
        m = await self.sally.say(self.market.typed[0])
        m = await self.sally.say(self.market.typed[1])
        m = await self.sally.press(m, _("Entire shop"))
        m = await self.sally.press(m, "100")
        m = await self.sally.press(m, "1")
        m = await self.sally.press(m, _("Now, 7 days"))
        m = await self.targeting(m, live=False)
        m = await self.sally.say(_("Five off over twenty"))
        await self.sally.press(m, _("✅ Submit"))

    async def targeting(self, m: RecordedMessage, *, live: bool) -> RecordedMessage:
        """/newvoucher's R-seg, R-budget, R-code and R-redeem steps, left at their defaults."""
        everyone = _("all buyers")
        m = await self.sally.press(m, capital(everyone))
        m = await self.sally.press(m, _("No budget"))
        if not live:
            m = await self.sally.press(m, _("No code"))
        return await self.sally.press(m, _("No limit"))

    async def live_voucher(self) -> None:
        cap = money(100 * self.market.scale, self.currency)
        self.chapter(
            _("3. A LIVE voucher: 20% off, max {cap} — the low maximum discount warning").format(
                cap=cap
            )
        )
        m = await self.sally.say("/newvoucher")
        m = await self.sally.press(m, _("LIVE Interactive"))
        m = await self.sally.press(m, _("Percentage off"))
        m = await self.sally.press(m, "20%")
        m = await self.sally.say(self.market.typed[2])
        m = await self.sally.press(m, _("No minimum"))
        m = await self.sally.press(m, _("Specific products"))
        m = await self.sally.press(m, "Beauty")
        m = await self.sally.press(m, "▫️ Velvet lipstick")
        m = await self.sally.press(m, _("✅ Done ({n})").split("{n}")[0])
        m = await self.sally.press(m, "10")
        m = await self.sally.press(m, "1")
        m = await self.sally.press(m, _("Now, 24 hours"))
        m = await self.targeting(m, live=True)
        m = await self.sally.press(m, _("Use “{name}”").split("{name}")[0])
        await self.sally.press(m, _("Continue"))

    async def link_host(self) -> None:
        self.chapter(_("4. The seller links a marketing account; the host opens the deep link"))
        m = await self.sally.say("/link marketing")
        link = next(
            w for w in (m.content.plain_text or "").split() if w.startswith("https://t.me/")
        )
        await self.hank.say(f"/start {link.split('start=')[1]}")
        await self.hank.say("/handle hank_live")

    async def host_goes_live(self) -> tuple[int, int]:
        self.chapter(_("5. Mid-stream: the host goes live and issues the LIVE voucher (3 taps)"))
        m = await self.hank.say("/issue")
        m = await self.hank.press(m, _("🔴 Go live now"))
        m = await self.hank.press(m, "#")
        await self.hank.press(m, _("Watch {minutes} min").format(minutes=1))
        member = await self.services.accounts.membership(HOST)
        assert member is not None
        session = await self.services.live.active_session(member.actor)
        assert session is not None and session.distributions
        await self.panels.refresh_now(session.id)
        return session.id, session.distributions[0].voucher_id

    async def viewers_claim(self, shop_id: int, session_id: int, voucher_id: int) -> None:
        self.chapter(
            _("6. Viewers claim through the core, as the platform's API calls would"),
        )
        for n in range(1, 10):
            buyer = f"viewer-{n}"
            watched = 30 if n == 9 else 75
            await self.services.live.record_watch(shop_id, session_id, buyer, watched)
            try:
                claim = await self.services.claims.claim(shop_id, voucher_id, buyer)
                print(
                    "  "
                    + _("{buyer} watched {seconds}s → claimed (claim #{id})").format(
                        buyer=buyer, seconds=watched, id=claim.id
                    )
                )
            except ClaimRefused as refused:
                # The code is the API's (R-l10n3): the narration says what the platform saw.
                print(
                    "  "
                    + _("{buyer} watched {seconds}s → refused: {code}").format(
                        buyer=buyer,
                        seconds=watched,
                        code=_(REFUSALS.get(refused.code, REFUSED)),
                    )
                )
        await self.panels.refresh_now(session_id)  # the host's panel shows the claims
        await self.hank.say("/quota")

    async def team_is_told(self, deliver: Callable[[], Awaitable[int]], session_id: int) -> None:
        self.chapter(_("7. The team chat is notified (the outbox sender delivers)"))
        await deliver()
        await self.hank.say("/endlive")
        await self.panels.refresh_now(session_id)  # the panel becomes the session's summary
        await deliver()

    async def viewers_buy(self, shop_id: int) -> None:
        self.chapter(
            _("8. Viewers buy; the seller reads /stats and /advice"),
            _("orders arrive through the core, as the platform's API calls would"),
        )
        platform = Actor.platform(shop_id)
        scale = self.market.scale
        lipstick = [{"product_id": "LIP-01", "unit_price": 10_000 * scale, "quantity": 1}]
        kettle = [{"product_id": "KTL-03", "unit_price": 4_000 * scale, "quantity": 1}]
        for n in range(1, 11):
            # Viewers 1–4 use their LIVE voucher (the best usable claim); 5–10 have none.
            lines = lipstick if n <= 4 else kettle
            order, _applied = await self.services.checkout.place_order(
                platform, f"order-{n}", f"viewer-{n}", lines
            )
            used = (
                _("voucher #{id}").format(id=order.voucher_id)
                if order.voucher_id
                else _("no voucher")
            )
            print(
                "  "
                + _("{buyer} ordered, total {total} ({used})").format(
                    buyer=f"viewer-{n}", total=money(order.total, self.currency), used=used
                )
            )
        mark = self.standin.mark()
        await self.sally.say("/stats")
        await self.standin.wait_for(
            lambda: any(
                e.content is not None and e.content.file is not None
                for e in self.standin.events[mark:]
            ),
            WAIT,
            describe="the /stats chart",
        )
        await self.sally.say("/advice")

    async def play(self, deliver: Callable[[], Awaitable[int]]) -> None:
        seller = await self.seller_sets_up()
        await self.regular_voucher()
        await self.live_voucher()
        await self.link_host()
        session_id, voucher_id = await self.host_goes_live()
        await self.viewers_claim(seller.shop_id, session_id, voucher_id)
        await self.team_is_told(deliver, session_id)
        await self.viewers_buy(seller.shop_id)
        self.chapter(_("The end"))


async def run_demo(args: argparse.Namespace) -> int:
    # The transcript is the output: request logs would drown it.
    logging.getLogger().setLevel(logging.WARNING)
    lang = getattr(args, "lang", None) or "en"
    activate(lang)  # the narration; the bot answers each person in their own language
    with tempfile.TemporaryDirectory(prefix="voucherbot-demo-") as tmp:
        url = getattr(args, "database_url", None) or f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
        db = Database(url)
        try:
            await upgrade(db)
            await _tour(
                db,
                url,
                bool(getattr(args, "color", False)),
                getattr(args, "save_media", None),
                lang,
            )
        finally:
            await db.dispose()
    return 0


def _save_media(standin: TelegramStandIn, directory: str) -> None:
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    for chat in (SELLER, HOST, TEAM):
        for message in standin.messages(chat):
            if message.file is not None:
                (target / message.file.filename).write_bytes(message.file.data)
                print(f"saved {target / message.file.filename}")


async def _tour(
    db: Database, url: str, color: bool, media_dir: str | None = None, lang: str = "en"
) -> None:
    clock = SystemClock()
    services = Services.build(db, clock)
    settings = Settings(_env_file=None, database_url=url, webhook_url=None)
    print(_("Voucherbot demo: a seller, a host and viewers, against a local Telegram stand-in."))
    async with TelegramStandIn() as standin:
        side = TelegramSide(
            services,
            settings,
            token=standin.token,
            base_url=standin.base_url,
            base_file_url=standin.base_file_url,
        )
        await side.start()
        # Offline, nobody is flooded: a short spacing keeps the tour quick.
        sender = OutboxSender(
            db,
            side.bot,
            clock=clock,
            limits=TelegramLimits(chat_interval=0.05, group_per_window=1000),
            on_pending=lambda _n: None,
        )
        panels = PanelRefresher(services, side.bot)
        try:
            await Tour(services, standin, panels, ansi=color, lang=lang).play(
                sender.deliver_pending
            )
            if media_dir:
                _save_media(standin, media_dir)
        finally:
            await sender.stop()
            await side.stop()
