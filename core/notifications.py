"""R-n1 team notifications: what each event says, written to the outbox in the caller's
transaction (R-n2) so a notification exists exactly when its change committed.

Languages (R-l10n1): a notice is composed as a *message*: a gettext message id with its
parameters (`msg`, `msg_n` for counts), which may hold money (`money`), instants (`when`), a
task, a role or other messages. The outbox row keeps the English rendering (what logs and
engineers read) followed by the message itself after `MARK`; the sender renders it at send
time in the language of the chat it goes to: the shop's language for the team chat, the
person's for a private chat (bot/telegram/outbox_sender.py). Core decides what is said; the
bot's catalogs (bot/locales/) say it in each language. A plain string is sent as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.money import format_money
from core.rules.live import Task, TaskType
from core.rules.vouchers import DiscountType, Kind, Warning
from storage import repositories as repo
from storage import team_chats
from storage.models import Account, Shop, Voucher
from storage.schedule_queries import effect_key

Message = dict[str, Any]
# Between the English text and the message (a word joiner: invisible if ever shown).
MARK = "\n\u2060voucherbot-message:"


# --- composing -------------------------------------------------------------------------------


def msg(message_id: str, **params: Any) -> Message:
    """A sentence: its gettext id (English, with `{name}` placeholders) and parameters. A
    `str` parameter is data (escaped when shown), an `int` a number (grouped per language), a
    dict another message or a value below."""
    return {"m": message_id, "p": params}


def msg_n(singular: str, plural: str, n: int, **params: Any) -> Message:
    """A sentence whose form depends on the count `n` (also available as `{n}`)."""
    return {"m": singular, "pl": plural, "n": n, "p": params}


def seq(*parts: Message | str, sep: str = "") -> Message:
    """Messages (or markup) one after another."""
    return {"j": [html(p) if isinstance(p, str) else p for p in parts], "sep": sep}


def html(markup: str) -> Message:
    """Markup already escaped (a voucher's label)."""
    return {"h": markup}


def money(minor: int, currency: str) -> Message:
    return {"$": [minor, currency]}


def when(at: datetime, timezone: str) -> Message:
    return {"at": [at.isoformat(), timezone]}


def tenths(value: int) -> Message:
    """A number with one decimal (`25` → 2.5 in English, 2,5 in Indonesian), R-l10n1."""
    return {"#": [value, 1]}


def label(text: str) -> str:
    """A button label (a gettext id too: the sender translates it)."""
    return text


def role_words(role: str) -> Message:
    if role == "seller":
        return msg("seller")
    if role == "official":
        return msg("official")
    if role == "marketing":
        return msg("marketing")
    return html(escape(role))


def task_words(task: Task) -> Message:
    if task.type == TaskType.WATCH:
        return msg("watch {minutes} min", minutes=task.minutes or 0)
    if task.type == TaskType.FOLLOW:
        return msg("follow the host")
    return msg("no task")


def voucher_label(v: Voucher) -> str:
    return named_voucher(v.name, v.id)  # type: ignore[arg-type]


def named_voucher(name: str, voucher_id: int) -> str:
    return f"<b>{escape(name)}</b> (#{voucher_id})"


def account_label(a: Account | None) -> Message:
    if a is None:
        return msg("the platform")
    name = a.display_name or (f"@{a.platform_handle}" if a.platform_handle else f"#{a.id}")
    return msg("{name} ({role}, account #{id})", name=name, role=role_words(a.role), id=str(a.id))


# --- rendering -------------------------------------------------------------------------------


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


@dataclass(frozen=True)
class Words:
    """Renders a message: in English by default; the bot passes a language's catalog, its
    Babel locale and its date pattern."""

    gettext: Callable[[str], str] = str
    ngettext: Callable[[str, str, int], str] = _english_plural
    locale: str | None = None  # None: each currency's own conventions, English dates
    date_pattern: str | None = None

    def render(self, message: Message | str) -> str:
        if isinstance(message, str):
            return message
        if "h" in message:
            return str(message["h"])
        if "j" in message:
            return str(message.get("sep", "")).join(self.render(p) for p in message["j"])
        if "$" in message:
            minor, currency = message["$"]
            return escape(format_money(int(minor), str(currency), self.locale), quote=False)
        if "#" in message:
            from decimal import Decimal

            from babel.numbers import format_decimal

            value, places = message["#"]
            number = Decimal(int(value)).scaleb(-int(places))
            pattern = "#,##0." + "0" * int(places)
            return format_decimal(number, format=pattern, locale=self.locale or "en_US")
        if "at" in message:
            return escape(self._time(datetime.fromisoformat(message["at"][0]), message["at"][1]))
        params = {k: self._value(v) for k, v in dict(message.get("p", {})).items()}
        if "pl" in message:
            n = int(message["n"])
            template = self.ngettext(str(message["m"]), str(message["pl"]), n)
            params.setdefault("n", self._value(n))
        else:
            template = self.gettext(str(message["m"]))
        return template.format(**params)

    def _value(self, value: Any) -> str:
        if isinstance(value, bool) or value is None:
            return escape(str(value))
        if isinstance(value, int):
            if self.locale is None:
                return f"{value:,}"
            from babel.numbers import format_decimal

            return format_decimal(value, locale=self.locale)
        if isinstance(value, dict):
            return self.render(value)
        return escape(str(value), quote=False)

    def _time(self, at: datetime, timezone: str) -> str:
        try:
            zone = ZoneInfo(timezone)
        except (KeyError, ValueError):
            zone, timezone = ZoneInfo("UTC"), "UTC"
        if self.date_pattern is None or self.locale is None:
            return local_time(at, timezone)
        from babel.dates import format_datetime

        shown = format_datetime(at, self.date_pattern, tzinfo=zone, locale=self.locale)
        return f"{shown} ({timezone})"


ENGLISH = Words()


def pack(message: Message | str, shop_id: int, language: str | None) -> str:
    """The outbox text: English, then the message for the sender to render."""
    if isinstance(message, str):
        return message
    envelope = {"shop": shop_id, "lang": language, "msg": message}
    return ENGLISH.render(message) + MARK + json.dumps(envelope, ensure_ascii=False)


def unpack(text: str) -> tuple[str, dict[str, Any] | None]:
    """(English text, envelope or None) of an outbox text."""
    english, found, rest = text.partition(MARK)
    if not found:
        return text, None
    try:
        return english, json.loads(rest)
    except ValueError:
        return english, None


def notification_row(
    shop_id: int,
    chat_id: int,
    *,
    event_key: str,
    kind: str,
    text: Message | str,
    now: datetime,
    buttons: list[list[tuple[str, str]]] | None = None,
    language: str | None = None,
) -> dict[str, object]:
    """One outbox row; the event key is unique per shop, so an event is queued once."""
    return {
        "shop_id": shop_id,
        "event_key": f"shop:{shop_id}:{event_key}",
        "kind": kind,
        "chat_id": chat_id,
        "text": pack(text, shop_id, language),
        "buttons": json.dumps(buttons) if buttons else None,
        "created_at": now,
        "next_attempt_at": now,
    }


async def notify(
    session: AsyncSession,
    shop: Shop,
    *,
    event_key: str,
    kind: str,
    text: Message | str,
    now: datetime,
    buttons: list[list[tuple[str, str]]] | None = None,
) -> bool:
    """Queue one message for the team chat. Without a team chat there is nobody to tell, so
    nothing is queued (a chat chosen later does not receive old news)."""
    if shop.team_chat_id is None:
        return False
    return await notify_person(
        session,
        shop,
        shop.team_chat_id,
        event_key=event_key,
        kind=kind,
        text=text,
        now=now,
        buttons=buttons,
    )


async def notify_person(
    session: AsyncSession,
    shop: Shop,
    chat_id: int,
    *,
    event_key: str,
    kind: str,
    text: Message | str,
    now: datetime,
    buttons: list[list[tuple[str, str]]] | None = None,
) -> bool:
    """Queue one message for a chat: a person's private chat (rendered in their language) or,
    through `notify`, the team chat (in the shop's language). Nothing is queued for a person
    who blocked the bot (issue 25): it could only be refused."""
    if chat_id > 0 and await team_chats.is_blocked(session, chat_id):
        return False
    row = notification_row(
        shop.id,  # type: ignore[arg-type]
        chat_id,
        event_key=event_key,
        kind=kind,
        text=text,
        now=now,
        buttons=buttons,
        language=shop.language,
    )
    return await repo.add_notification(session, row)


# --- what each event says (R-n1) ------------------------------------------------------------


def low_discount_text(shop: Shop, v: Voucher, warning: Warning, by: Account | None) -> Message:
    d = warning.data
    cur = shop.currency
    return msg(
        "⚠️ Maximum Discount Per Order is Low: {voucher} was created by {account}.\n"
        "{percent}% off a {basket} basket is {nominal}, but the maximum discount is {capped}: "
        "the buyer pays {final}.",
        voucher=html(voucher_label(v)),
        account=account_label(by),
        percent=v.percent or 0,
        basket=money(d["basket"], cur),
        nominal=money(d["nominal"], cur),
        capped=money(d["capped"], cur),
        final=money(d["final_price"], cur),
    )


def quota_text(name: str, voucher_id: int, claimed: int, total: int) -> Message:
    label = html(named_voucher(name, voucher_id))
    if claimed >= total:
        return msg_n(
            "🔴 {voucher} is sold out: all {n} voucher claimed.",
            "🔴 {voucher} is sold out: all {n} vouchers claimed.",
            total,
            voucher=label,
        )
    return msg(
        "🟠 {voucher} is {percent}% claimed: {remaining} of {total} left.",
        voucher=label,
        percent=claimed * 100 // total,
        remaining=total - claimed,
        total=total,
    )


def kind_words(kind: str) -> Message:
    return msg("LIVE Interactive Voucher") if kind == Kind.LIVE else msg("Regular Voucher")


def opened_text(shop: Shop, v: Voucher) -> Message:
    text = msg_n(
        "🟢 Claim period opened: {voucher}, {kind}, {discount}. {n} voucher claimable until "
        "{until}.",
        "🟢 Claim period opened: {voucher}, {kind}, {discount}. {n} vouchers claimable until "
        "{until}.",
        v.total_quantity,
        voucher=html(voucher_label(v)),
        kind=kind_words(v.kind),
        discount=discount_text(shop, v),
        until=when(v.ends_at, shop.timezone),
    )
    if v.kind == Kind.LIVE:
        return seq(
            text,
            msg(
                "Viewers can claim it once a host issues it with a task in a live session "
                "(/issue {id}).",
                id=str(v.id),
            ),
            sep="\n",
        )
    return text


def closed_text(shop: Shop, v: Voucher) -> Message:
    remaining = max(v.total_quantity - v.claimed, 0)
    if v.valid_days is not None:
        usable = msg_n(
            "Claimed vouchers can be used for {n} day after claiming.",
            "Claimed vouchers can be used for {n} days after claiming.",
            v.valid_days,
        )
    else:
        usable = msg(
            "Claimed vouchers can be used until {until}.",
            until=when(v.redeem_until or v.ends_at, shop.timezone),
        )
    return seq(
        msg("🏁 Claim period ended: {voucher}.", voucher=html(voucher_label(v))),
        msg(
            "Claims: {claimed} of {total} · redeemed: {redeemed} · remaining: {remaining}.",
            claimed=v.claimed,
            total=v.total_quantity,
            redeemed=v.redeemed,
            remaining=remaining,
        ),
        usable,
        sep="\n",
    )


def discount_text(shop: Shop, v: Voucher) -> Message:
    cur = shop.currency
    if v.discount_type == DiscountType.PERCENT:
        text = msg(
            "{percent}% off (up to {cap} per order)",
            percent=v.percent or 0,
            cap=money(v.max_discount or 0, cur),
        )
    else:
        text = msg("{amount} off", amount=money(v.amount or 0, cur))
    if v.min_spend:
        return seq(text, msg(", minimum spend {amount}", amount=money(v.min_spend, cur)))
    return text


def linked_text(account: Account) -> Message:
    return msg("🔗 {account} was linked to the shop.", account=account_label(account))


def unlinked_text(account: Account) -> Message:
    return msg("✂️ {account} was unlinked from the shop.", account=account_label(account))


def deactivated_text(v: Voucher, by: Account | None, voided: int) -> Message:
    return seq(
        msg(
            "⛔ {voucher} was deactivated by {account}.",
            voucher=html(voucher_label(v)),
            account=account_label(by),
        ),
        msg_n(
            "{claimed} claimed, {n} unused claim voided.",
            "{claimed} claimed, {n} unused claims voided.",
            voided,
            claimed=v.claimed,
        ),
        sep=" ",
    )


def _stop_reason(reason: str, by: Account | None) -> Message:
    if reason == "stopped":
        return msg("by {account}", account=account_label(by))
    if reason == "session_ended":
        return msg("because the live session ended")
    if reason == "deactivated":
        return msg("because the voucher was deactivated")
    if reason == "account_unlinked":
        return msg("because the host account was unlinked")
    if reason == "claim_period_ended":
        return msg("because the claim period ended")
    return html(escape(reason))


def distribution_stopped_text(
    voucher: Voucher, task: Task, reason: str, by: Account | None
) -> Message:
    return msg(
        "⏹ Distribution of {voucher} ({task}) stopped {why}.",
        voucher=html(voucher_label(voucher)),
        task=task_words(task),
        why=_stop_reason(reason, by),
    )


def distribution_started_text(
    host: Account | None, voucher: Voucher, session_id: int, task: Task
) -> Message:
    return msg(
        "▶️ {account} is distributing {voucher} in live session #{session}: {task}, "
        "{remaining} left.",
        account=account_label(host),
        voucher=html(voucher_label(voucher)),
        session=str(session_id),
        task=task_words(task),
        remaining=voucher.total_quantity - voucher.claimed,
    )


def lasted(minutes: int) -> Message:
    """`less than a minute`, `1 minute`, `25 minutes` (the team reads it, R-b5)."""
    if minutes < 1:
        return msg("less than a minute")
    return msg_n("{n} minute", "{n} minutes", minutes)


def session_ended_text(session_id: int, by: Account | None, minutes: int, claims: int) -> Message:
    return msg(
        "🎬 Live session #{session} of {account} ended after {lasted} with {claims}.",
        session=str(session_id),
        account=account_label(by),
        lasted=lasted(minutes),
        claims=msg_n("{n} voucher claim", "{n} voucher claims", claims),
    )


def drops_cancelled_text(session_id: int, cancelled: int) -> Message:
    """R-drop1: a session that ends cancels its pending drops — the host and the team hear it."""
    return msg_n(
        "⏰ Live session #{session} ended, so its {n} pending drop was cancelled.",
        "⏰ Live session #{session} ended, so its {n} pending drops were cancelled.",
        cancelled,
        session=str(session_id),
    )


def drop_reason(code: str | None) -> Message:
    """Why a drop failed, for a host (keys are the refusal codes of an immediate issue)."""
    if code == "session_ended":
        return msg("the live session had ended")
    if code == "not_distributable":
        return msg("the voucher was not ongoing")
    if code == "distribution_active":
        return msg("the voucher was already being distributed")
    if code == "sold_out":
        return msg("the voucher was sold out")
    if code == "not_live_voucher":
        return msg("it is not a LIVE voucher")
    if code == "voucher_not_found":
        return msg("the voucher no longer exists")
    if code == "forbidden":
        return msg("the account that scheduled it may no longer run this session")
    return msg("it could not be issued")


def drop_scheduled_text(
    by: Account | None, voucher: Voucher, session_id: int, due: datetime, shop: Shop, task: Task
) -> Message:
    return msg(
        "⏰ {account} scheduled a drop of {voucher} in live session #{session} at {when}: {task}.",
        account=account_label(by),
        voucher=html(voucher_label(voucher)),
        session=str(session_id),
        when=when(due, shop.timezone),
        task=task_words(task),
    )


def drop_settled_text(
    label: str, session_id: int, task: Task, status: str, reason: str | None
) -> Message:
    if status == "fired":
        return msg(
            "🚀 Drop fired: {voucher} is now distributed in live session #{session} ({task}).",
            voucher=html(label),
            session=str(session_id),
            task=task_words(task),
        )
    return msg(
        "⚠️ Drop failed: {voucher} was due in live session #{session} ({task}), but {reason}.",
        voucher=html(label),
        session=str(session_id),
        task=task_words(task),
        reason=drop_reason(reason),
    )


def sellout_text(
    v: Voucher,
    minutes: int,
    rate_tenths: int,
    remaining: int,
    session_id: int,
    host: Account | None,
) -> Message:
    return msg(
        "⏳ {voucher} will sell out in about {minutes} min at the current rate ({rate} "
        "claims/min, {remaining} left) in live session #{session} of {account}.",
        voucher=html(voucher_label(v)),
        minutes=minutes,
        rate=tenths(rate_tenths),
        remaining=remaining,
        session=str(session_id),
        account=account_label(host),
    )


def ask_more_text(
    by: Account | None, name: str, voucher_id: int, remaining: int, total: int
) -> Message:
    return msg(
        "🙋 {account} asks for more of {voucher}: {remaining} of {total} left.",
        account=account_label(by),
        voucher=html(named_voucher(name, voucher_id)),
        remaining=remaining,
        total=total,
    )


def local_time(at: datetime, timezone: str) -> str:
    """`8 Jun 2026 14:00 (Europe/Berlin)`: the shop's own clock (R-time)."""
    try:
        local = at.astimezone(ZoneInfo(timezone))
    except (KeyError, ValueError):
        local, timezone = at, "UTC"
    return f"{local.day} {local:%b %Y %H:%M} ({timezone})"


async def announce_opened(session: AsyncSession, shop: Shop, v: Voucher, now: datetime) -> bool:
    """R-s1's "Claim period opened", now, if the schedule has not announced it yet: whatever
    happens to an ongoing voucher first (a distribution, R-n1) must not reach the team before
    the news that its claim period opened. The effect ledger makes it once, whoever is first."""
    if not v.starts_at <= now < v.ends_at:
        return False
    key = effect_key(v.id, "opened")  # type: ignore[arg-type]
    if not await repo.record_effect(session, key, now):
        return False
    from core import events  # R-ev1 (events builds on the same rows)

    await events.emit(
        session,
        shop.id,  # type: ignore[arg-type]
        events.EventType.VOUCHER_CLAIM_PERIOD_OPENED,
        events.voucher_data(v),
        now,
    )
    await notify(
        session,
        shop,
        event_key=key,
        kind="claim_period_opened",
        text=opened_text(shop, v),
        now=now,
    )
    return True


# --- lucky draws (R-draw1–3) ----------------------------------------------------------------


def _check_link(verify_url: str | None) -> Message:
    """Where anyone checks the draw (the service's /verify page), or nothing without
    PUBLIC_BASE_URL. Seeds and commitments reach people as a short fingerprint and this link,
    never as 64 hex digits (R-draw5)."""
    if not verify_url:
        return html("")
    return seq(
        " — ",
        html(f'<a href="{escape(verify_url, quote=True)}">'),
        msg("check it"),
        html("</a>"),
    )


def draw_opened_text(
    host: Account | None,
    voucher: Voucher,
    session_id: int,
    task: Task,
    *,
    winners: int,
    entry_minutes: int,
    fingerprint: str,
    beacon: bool,
    verify_url: str | None = None,
) -> Message:
    """R-draw3/R-draw4: the commitment where the team (and, through the host, viewers) see
    it before entering, in words: a fingerprint, whether a public random number decides too,
    and the link to check it."""
    fairness = (
        msg(
            "The winners are fixed by a secret code sealed now (fingerprint {fingerprint}) "
            "and a public random number from drand drawn just after entries close: nobody, "
            "not even us, can know them in advance.",
            fingerprint=html(f"<code>{escape(fingerprint)}</code>"),
        )
        if beacon
        else msg(
            "The winners are fixed by a secret code sealed now (fingerprint {fingerprint}), "
            "revealed when entries close.",
            fingerprint=html(f"<code>{escape(fingerprint)}</code>"),
        )
    )
    return seq(
        msg(
            "🎁 {account} opened a lucky draw of {voucher} in live session #{session}: "
            "{winners}, entries for {minutes} ({task}).",
            account=account_label(host),
            voucher=html(voucher_label(voucher)),
            session=str(session_id),
            winners=msg_n("{n} winner", "{n} winners", winners),
            minutes=msg_n("{n} minute", "{n} minutes", entry_minutes),
            task=task_words(task),
        ),
        html("\n"),
        fairness,
        _check_link(verify_url),
    )


def draw_cancelled_text(
    voucher: Voucher,
    reason: str,
    by: Account | None,
    entries: int,
    fingerprint: str | None = None,
    verify_url: str | None = None,
) -> Message:
    """R-draw5: a cancelled draw reveals its seed too (in the document; here its fingerprint)."""
    text = msg(
        "🚫 Lucky draw of {voucher} cancelled {why} before it closed: nobody wins ({entries}).",
        voucher=html(voucher_label(voucher)),
        why=_stop_reason(reason, by),
        entries=msg_n("{n} entry", "{n} entries", entries),
    )
    if fingerprint is None:
        return text
    return seq(
        text,
        html("\n"),
        msg(
            "Its secret code is revealed (fingerprint {fingerprint}) and listed in the "
            "session's next draws.",
            fingerprint=html(f"<code>{escape(fingerprint)}</code>"),
        ),
        _check_link(verify_url),
    )


def draw_beacon_wait_text(voucher: Voucher, session_id: int) -> Message:
    """R-draw4: no drand mirror answers; the draw waits up to 10 minutes, then goes on."""
    return msg(
        "⏳ Lucky draw of {voucher} (live session #{session}): the public random number from "
        "drand is not available yet. The draw waits for it up to 10 minutes, then is made "
        "from the sealed code alone.",
        voucher=html(voucher_label(voucher)),
        session=str(session_id),
    )


@dataclass(frozen=True)
class DrawOutcome:
    """What the team reads at a draw's close (R-draw2, R-draw3)."""

    session_id: int
    prizes: int
    entries: int
    claims: int
    over_limit: int  # winners passed over: already at their claim limit
    sold_out: bool
    not_claimable: bool
    fingerprint: str  # of the seed (core.rules.draws.fingerprint)
    beacon: bool = False  # the order used a verified drand round
    beacon_missing: bool = False  # a round was fixed, but no mirror answered in time
    verify_url: str | None = None


def _proof(r: DrawOutcome) -> Message:
    """The line under a result: what decided it, in words, and the link to check it."""
    fp = html(f"<code>{escape(r.fingerprint)}</code>")
    if r.beacon:
        words = msg(
            "Decided by the sealed code (fingerprint {fingerprint}) and drand's public "
            "random number.",
            fingerprint=fp,
        )
    elif r.beacon_missing:
        words = msg(
            "drand did not answer within 10 minutes, so it was decided by the sealed code "
            "alone (fingerprint {fingerprint}).",
            fingerprint=fp,
        )
    else:
        words = msg("Decided by the sealed code (fingerprint {fingerprint}).", fingerprint=fp)
    return seq(html("\n"), words, _check_link(r.verify_url))


def draw_result_text(voucher: Voucher, r: DrawOutcome) -> Message:
    label = html(voucher_label(voucher))
    if r.entries == 0:
        return seq(
            msg(
                "🎉 Lucky draw of {voucher} (live session #{session}) is drawn: nobody "
                "entered, so nobody won.",
                voucher=label,
                session=str(r.session_id),
            ),
            _proof(r),
        )
    notes: list[Message] = []
    if r.claims < r.prizes:
        if r.over_limit:
            notes.append(
                msg_n(
                    "{n} winner had already claimed it",
                    "{n} winners had already claimed it",
                    r.over_limit,
                )
            )
        if r.sold_out:
            notes.append(msg("the voucher sold out"))
        if r.not_claimable:
            notes.append(msg("the voucher is no longer claimable"))
        if not notes:
            notes.append(msg("fewer viewers entered than there were prizes"))
    why = (
        msg(
            " (of {prizes}; {notes})",
            prizes=msg_n("{n} prize", "{n} prizes", r.prizes),
            notes=seq(*notes, sep=", "),
        )
        if notes
        else html("")
    )
    return seq(
        msg(
            "🎉 Lucky draw of {voucher} (live session #{session}) is drawn: {entries}, "
            "{winners} received the voucher{why}.",
            voucher=label,
            session=str(r.session_id),
            entries=msg_n("{n} entry", "{n} entries", r.entries),
            winners=msg_n("{n} winner", "{n} winners", r.claims),
            why=why,
        ),
        _proof(r),
    )


# --- webhooks (R-ev2) ------------------------------------------------------------------------


def webhook_disabled_text(url: str) -> Message:
    return msg(
        "⚠️ Webhooks to {url} are paused: that address has not accepted them for 3 days. "
        "Your platform team can fix the receiver and turn it back on.",
        url=url,
    )
