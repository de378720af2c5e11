"""Small HTML builders for the Mini App's fragments: escaping, the tab bar, buttons that load
a fragment, notices. Every text shown comes from the gettext catalogs (bot/i18n.py); the
fragment's root carries the language and, for a refusal, its stable code (`data-code`).

The page's one script (static/app.js) gives these attributes their behaviour:
- `data-get="/app/v/…"`: a tap loads that fragment into the page;
- a `<form data-post="/app/a/…">`: submitting posts the form and shows the answer;
- `data-refresh="5"` on the root: the fragment reloads itself every 5 seconds;
- `data-until="<unix seconds>"`: a countdown the script keeps ticking.
"""

from __future__ import annotations

from html import escape

from bot.i18n import N_, _, current

# (view, label, seller only): the tabs, in order.
TABS: tuple[tuple[str, str, bool], ...] = (
    ("vouchers", N_("Vouchers"), False),
    ("new", N_("New voucher"), True),
    ("live", N_("Live now"), False),
    ("stats", N_("📊 Stats"), False),
)


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def nav(active: str, *, seller: bool) -> str:
    items = []
    for view, label, seller_only in TABS:
        if seller_only and not seller:
            continue
        current_tab = ' aria-current="page"' if view == active else ""
        items.append(
            f'<button type="button" class="tab" data-get="/app/v/{view}"{current_tab}>'
            f"{esc(_(label))}</button>"
        )
    label = esc(_("Sections"))
    return f'<nav class="tabs" aria-label="{label}">{"".join(items)}</nav>'


def fragment(body: str, *, view: str, code: str | None = None, refresh: int | None = None) -> str:
    """The root element of every answer: the page swaps it in whole."""
    attrs = f' data-view="{esc(view)}" lang="{esc(current())}"'
    if code:
        attrs += f' data-code="{esc(code)}"'
    if refresh:
        attrs += f' data-refresh="{refresh}"'
    return f'<div id="view"{attrs}>{body}</div>'


def notice(text_html: str, kind: str = "info") -> str:
    """A notice; `text_html` is already escaped (the bot's sentences are HTML)."""
    role = "alert" if kind == "error" else "status"
    return f'<p class="notice {kind}" role="{role}">{_lines(text_html)}</p>'


def _lines(text_html: str) -> str:
    return text_html.replace("\n", "<br>")


def card(text_html: str) -> str:
    return f'<div class="card">{_lines(text_html)}</div>'


def get_button(label: str, url: str, *, cls: str = "") -> str:
    return f'<button type="button" class="{cls}" data-get="{esc(url)}">{esc(label)}</button>'


def hidden(name: str, value: object) -> str:
    return f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'


def heading(text: str) -> str:
    return f"<h1>{esc(text)}</h1>"


def quota_bar(remaining: int, total: int, label: str) -> str:
    """Remaining quota as a bar (R-app2), labelled for screen readers."""
    return (
        f'<progress class="quota" max="{max(total, 1)}" value="{max(remaining, 0)}" '
        f'aria-label="{esc(label)}"></progress>'
    )
