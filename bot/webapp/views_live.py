"""R-app2: live now — the shop's live sessions as the host's panel shows them (R-live5:
distributions with claims, remaining quota, claims per minute and the sell-out forecast of
R-adv3; pending drops and running draws with countdowns), Stop per distribution, and Issue
for whoever is live. Sessions come from `LiveService.list_sessions` (the caller's shop, READ),
each one's figures from `LivePanelService.view`, and Issue / Stop are `LiveService.issue` /
`LiveService.stop` — the same calls, checks and refusals as /issue and /stop."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web
from babel.numbers import format_decimal

from bot.i18n import N_, _, babel_locale, ngettext, number
from bot.telegram.render import esc, task, task_words
from bot.telegram.wording import refusal_text, whole_number_wanted
from bot.webapp.html import esc as attr
from bot.webapp.html import fragment, hidden, nav, notice, quota_bar
from bot.webapp.visitor import Visitor, services_of
from core.errors import VoucherbotError
from core.reading import read_count
from core.rules.live import MAX_WATCH_MINUTES
from core.rules.roles import Action
from core.services.accounts import Membership
from core.services.live_panel import PanelView
from core.views import SessionView

REFRESH_SECONDS = 5
TASKS = (("none", N_("No task")), ("follow", N_("Follow LIVE Host")), ("watch", N_("Watch")))


def duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes == 0:
        return _("less than a minute")
    if minutes < 60:
        return ngettext("{n} min", "{n} min", minutes).format(n=number(minutes))
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)
    return _("{hours} h").format(hours=hours)


def countdown(at: datetime, now: datetime) -> str:
    """A ticking `m:ss` (static/app.js keeps it current from `data-until`)."""
    seconds = max(0, int((at - now).total_seconds()))
    return (
        f'<time class="countdown" datetime="{at.isoformat()}" '
        f'data-until="{int(at.timestamp())}">{seconds // 60}:{seconds % 60:02d}</time>'
    )


def _session(view: PanelView, label: str, may_stop: bool) -> str:
    now = view.now
    title = _("Live session #{session}").format(session=view.session_id)
    claimed = _("Claims this session: {n}").format(n=number(view.claims))
    stop_label = _("⏹ Stop")
    out = [
        '<section class="card">',
        f"<h2>{esc(title)}</h2>",
        f'<p class="meta">{esc(label)} · {esc(duration(now - view.started_at))}</p>',
        f"<p>{esc(claimed)}</p>",
    ]
    if not view.distributions:
        idle = _("Nothing is being distributed. Tap Issue to hand out a LIVE voucher.")
        out.append(f'<p class="meta">{esc(idle)}</p>')
    for d in view.distributions:
        claims = ngettext("{n} claim", "{n} claims", d.claims).format(n=number(d.claims))
        left = _("{remaining} of {total} left").format(
            remaining=number(d.remaining), total=number(d.total)
        )
        pace = ""
        if d.remaining == 0:
            pace = _("🔴 Sold out")
        elif d.claims_per_minute is not None:
            pace = _("{rate} claims/min").format(
                rate=format_decimal(d.claims_per_minute, "0.0", locale=babel_locale())
            )
            if d.sellout_at is not None:
                pace += " · " + _("sells out in about {duration}").format(
                    duration=duration(d.sellout_at - now)
                )
        stop = ""
        if may_stop:
            stop = (
                f'<form data-post="/app/a/stop/{d.distribution_id}">'
                f'<button type="submit" class="danger" aria-label="'
                f'{attr(stop_label + " " + d.voucher_name)}">{esc(stop_label)}</button></form>'
            )
        out.append(
            f'<div class="dist"><p><b>{esc(d.voucher_name)}</b> (#{d.voucher_id}) · '
            f"{task(d.task)}</p>{quota_bar(d.remaining, d.total, left)}"
            f'<p class="meta">{esc(claims)} · {esc(left)}</p>'
            + (f'<p class="meta">{esc(pace)}</p>' if pace else "")
            + f"{stop}</div>"
        )
    if view.drops:
        out.append("<h3>" + _("⏰ <b>Coming up</b>") + "</h3><ul>")
        for dr in view.drops[:10]:
            out.append(
                f"<li>{countdown(dr.at, now)} <b>{esc(dr.voucher_name)}</b> (#{dr.voucher_id})"
                f" · {esc(task_words(dr.task))}</li>"
            )
        out.append("</ul>")
    if view.draws:
        out.append("<h3>" + _("🎲 <b>Lucky draws</b>") + "</h3><ul>")
        for draw in view.draws:
            entries = ngettext("{n} entry", "{n} entries", draw.entries).format(
                n=number(draw.entries)
            )
            out.append(
                f"<li><b>{esc(draw.voucher_name)}</b>: {esc(entries)} · "
                f"{countdown(draw.closes_at, now)}</li>"
            )
        out.append("</ul>")
    out.append("</section>")
    return "".join(out)


async def _issue_form(request: web.Request, member: Membership, mine: SessionView | None) -> str:
    if mine is None:
        return notice(esc(_("You're not live right now. Start a session with /live.")))
    services = services_of(request)
    ready = await services.vouchers.list(member.actor, status="ongoing", kind="live")
    running = {d.voucher_id for d in mine.distributions}
    choices = [v for v in ready if v.id not in running and v.remaining > 0]
    if not choices:
        return ""
    options = "".join(f'<option value="{v.id}">{esc(v.name)} (#{v.id})</option>' for v in choices)
    tasks = "".join(
        f'<label class="option"><input type="radio" name="task" value="{key}"'
        f"{' checked' if key == 'none' else ''}> {esc(_(label))}</label>"
        for key, label in TASKS
    )
    issue_label, vouchers_label = esc(_("🎟 Issue")), esc(_("Vouchers"))
    task_label, minutes_label = esc(_("The task")), esc(_("The watch time in minutes"))
    return (
        '<form class="card" data-post="/app/a/issue">'
        f"<h2>{issue_label}</h2>"
        f'<label for="issue-voucher">{vouchers_label}</label>'
        f'<select id="issue-voucher" name="voucher_id">{options}</select>'
        f"<fieldset><legend>{task_label}</legend>{tasks}</fieldset>"
        f'<label for="issue-minutes">{minutes_label}</label>'
        '<input id="issue-minutes" name="minutes" inputmode="numeric" value="5">'
        f"{hidden('session_id', mine.id)}"
        f'<button type="submit">{issue_label}</button></form>'
    )


async def live(
    request: web.Request, v: Visitor, member: Membership, said: str = "", error: str = ""
) -> str:
    services = services_of(request)
    actor = member.actor
    sessions = await services.live.list_sessions(actor, active=True, limit=20)
    labels = {a.id: a.label for a in await services.accounts.list(actor)}
    mine = next((s for s in sessions if s.account_id == actor.account_id), None)
    body = [nav("live", seller=actor.may(Action.MANAGE_VOUCHERS))]
    if said:
        body.append(notice(said, "ok"))
    if error:
        body.append(notice(error, "error"))
    if not sessions:
        body.append(notice(esc(_("Nobody is live right now."))))
    for s in sessions:
        view = await services.panel.view(s.id)
        if view is not None:
            may_stop = actor.may(Action.RUN_LIVE) and (
                actor.acts_for_any_account or s.account_id == actor.account_id
            )
            body.append(_session(view, labels.get(s.account_id, ""), may_stop))
    if actor.may(Action.RUN_LIVE):
        body.append(await _issue_form(request, member, mine))
    return fragment("".join(body), view="live", refresh=REFRESH_SECONDS)


async def issue(request: web.Request, v: Visitor, member: Membership) -> str:
    form = await request.post()
    services = services_of(request)
    try:
        voucher_id = read_count(str(form.get("voucher_id", "")), v.language)
        session_id = read_count(str(form.get("session_id", "")), v.language)
        task_type = str(form.get("task", "none"))
        minutes = None
        if task_type == "watch":
            minutes = read_count(str(form.get("minutes", "")), v.language)
    except ValueError:
        return await live(
            request, v, member, error=esc(whole_number_wanted(1, MAX_WATCH_MINUTES, 5))
        )
    try:
        d = await services.live.issue(member.actor, session_id, voucher_id, task_type, minutes)
    except VoucherbotError as exc:
        error = "⚠️ " + refusal_text(exc, member.shop.currency)
        return await live(request, v, member, error=error)
    voucher = await services.vouchers.get(member.actor, voucher_id)
    said = _(
        "✅ Issued <b>{name}</b> (#{id}) in live session #{session}: <b>{task}</b>. "
        "{remaining} of {total} left."
    ).format(
        name=esc(voucher.name),
        id=voucher.id,
        session=d.session_id,
        task=task(d.task),
        remaining=number(voucher.remaining),
        total=number(voucher.total_quantity),
    )
    return await live(request, v, member, said)


async def stop(request: web.Request, v: Visitor, member: Membership) -> str:
    distribution_id = int(request.match_info["id"])
    d = await services_of(request).live.stop(member.actor, distribution_id)
    said = _("Stopped #{id}. Claimed vouchers stay with viewers.").format(id=d.voucher_id)
    return await live(request, v, member, esc(said))
