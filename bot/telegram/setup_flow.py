"""/setup as a table (docs/flows.md): the shop's name (when not given), then its currency and
time zone by buttons until ✔ Done. A seller's `/setup` opens the settings step alone. Each tap
saves at once; `/setup currency IDR` and `/setup timezone Asia/Jakarta` save without a flow."""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, _, current
from bot.telegram.callbacks import Flow
from bot.telegram.commands import publish_for_user
from bot.telegram.flow_table import END, Done, FlowTable, Outcome, Question, Step, StepContext
from bot.telegram.render import esc
from core.services.languages import market, opening_settings, suggested_first

Draft = dict[str, Any]
CURRENCIES = ("USD", "IDR", "VND", "THB", "MYR", "PHP", "SGD", "EUR", "GBP")
TIMEZONES = (
    "UTC",
    "Asia/Jakarta",
    "Asia/Ho_Chi_Minh",
    "Asia/Bangkok",
    "Asia/Kuala_Lumpur",
    "Asia/Manila",
    "Asia/Singapore",
    "Europe/London",
    "America/New_York",
)
ASK_NAME_TEXT = N_("What's your shop's name? Send it as a message (1–100 characters).")
CURRENCY, ZONE, DONE = "cur", "tz", "done"


def name_question(step: StepContext[Draft]) -> Question:
    return Question(_(ASK_NAME_TEXT))


async def name_typed(step: StepContext[Draft], text: str) -> Outcome:
    user = step.user
    assert user is not None
    # R-l10n5: a seller speaking a language starts in that market's currency and zone, and
    # the team chat in that language.
    currency, timezone = opening_settings(current(), step.draft["currency"], step.draft["timezone"])
    shop, _owner = await step.services.shops.create(
        text,
        owner_telegram_user_id=user.id,
        owner_name=user.full_name,
        currency=currency,
        timezone=timezone,
        language=current(),
    )
    member = await step.services.accounts.membership(user.id)
    if step.bot is not None:
        role = member.account.role if member else None
        await publish_for_user(step.bot, step.extras["catalog"], user.id, role)
    return Outcome({"intro": "created", "shop": shop.name}, goto="settings")


async def load_shop(step: StepContext[Draft]) -> Any:
    assert step.user is not None
    member = await step.services.accounts.membership(step.user.id)
    assert member is not None
    return member.shop


def settings_text(name: str, currency: str, timezone: str) -> str:
    return _(
        "<b>{shop}</b> — currency <b>{currency}</b>, time zone <b>{timezone}</b>. "
        "Tap to change them."
    ).format(shop=esc(name), currency=currency, timezone=esc(timezone))


def settings_question(step: StepContext[Draft]) -> Question:
    shop = step.data
    intro = step.draft.get("intro")
    if intro == "created":
        text = _(
            "✅ Your shop <b>{shop}</b> is ready and you're its seller.\n"
            "Currency: <b>{currency}</b> · Time zone: <b>{timezone}</b> — tap to change them "
            "(or <code>/setup currency IDR</code>, <code>/setup timezone Asia/Jakarta</code>)."
            "\nNext: /newvoucher to create a voucher, /link to invite your hosts, and /team "
            "in your team group. /language sets the language your team chat gets."
        ).format(shop=esc(shop.name), currency=shop.currency, timezone=esc(shop.timezone))
    elif intro == "attempted":
        text = _(
            "You already run <b>{shop}</b>: a Telegram account runs one shop, so I "
            "didn't create “{name}”. You can change its currency (<b>{currency}</b>) "
            "and time zone (<b>{timezone}</b>) here:"
        ).format(
            shop=esc(shop.name),
            name=esc(step.draft.get("attempted", "")[:100]),
            currency=shop.currency,
            timezone=esc(shop.timezone),
        )
    else:
        text = settings_text(shop.name, shop.currency, shop.timezone)
    first = market(current())  # R-l10n5: the seller's market first
    currencies = [
        (c, f"{CURRENCY}.{c}") for c in suggested_first(CURRENCIES, first.currencies)
    ]
    zones = [
        (z.split("/")[-1].replace("_", " "), f"{ZONE}.{z}")
        for z in suggested_first(TIMEZONES, first.zones)
    ]
    rows = [currencies[i : i + 5] for i in range(0, len(currencies), 5)]
    rows += [zones[i : i + 3] for i in range(0, len(zones), 3)]
    rows.append([(_("✔ Done"), DONE)])
    return Question(text, rows)


async def setting_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    field, _dot, value = arg.partition(".")
    if field == DONE:
        # Done says what the shop now has: saved when this flow created the shop or a tap
        # changed it (each tap saves at once), else that nothing changed — never "Cancelled".
        shop = await load_shop(step)
        if step.draft.get("changed") or step.draft.get("shop"):
            said = _("✅ Saved. Currency: <b>{currency}</b> · Time zone: <b>{timezone}</b>")
        else:
            said = _("Nothing changed. Currency: <b>{currency}</b> · Time zone: <b>{timezone}</b>")
        return Outcome(done=Done(said.format(currency=shop.currency, timezone=esc(shop.timezone))))
    changes = {"currency": value} if field == CURRENCY else {"timezone": value}
    if step.member is None:
        return Outcome(problem=_("Only the shop's seller can change its settings."))
    await step.services.shops.update_settings(step.actor, **changes)
    return Outcome({"intro": None, "changed": True}, stay=True)


TABLE: FlowTable[Draft] = FlowTable(
    prefix=Flow.SETUP,
    title=N_("🏪 Shop setup"),
    steps={
        "name": Step("name", name_question, on_text=name_typed, leads={"a name": "settings"}),
        "settings": Step(
            "settings",
            settings_question,
            setting_tapped,
            load=load_shop,
            leads={"a currency / a time zone": "settings", "✔ Done": END},
            cancel=False,
            back=False,
            cancelled=N_("Cancelled: nothing changed."),
        ),
    },
    path=lambda draft: ["settings"] if draft.get("seller") else ["name", "settings"],
    next_step=lambda step, draft, editing: "settings",
    expired=N_(
        "The shop setup expired after 30 minutes without an answer. Start again with /setup."
    ),
    cancelled=N_("Cancelled: no shop was created."),
)
