"""Draw notices (R-d*): what the team chat is told when a draw opens, waits for its beacon,
is cancelled or settles. Composed as messages (core/notice_base.py)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from core.notice_base import (
    Message,
    _stop_reason,
    account_label,
    html,
    msg,
    msg_n,
    seq,
    task_words,
    voucher_label,
)
from core.rules.live import Task
from storage.models import Account, Voucher


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
