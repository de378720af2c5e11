"""/newvoucher's product picker step: categories, a search by name, pages of products to
tap, product ids typed (R-b1: unknown ids are named). Its loader and parsers look products up
through the services of the step's context."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from bot.i18n import _, ngettext, number
from bot.i18n import money as fmt_money
from bot.telegram.flow_table import Outcome, Question, StepContext
from bot.telegram.keyboards import fit
from bot.telegram.render import esc
from bot.telegram.voucher_steps import PRODUCT_PAGE, Draft
from core.errors import NotFound, ValidationFailed
from core.rules.vouchers import MAX_PRODUCTS
from core.views import ProductView


@dataclass(frozen=True)
class ProductData:
    categories: list[str]
    products: list[ProductView] | None  # a page of a category or search, None at the top
    cursor: int | None
    total_in_shop: int


def products_question(step: StepContext[Draft]) -> Question:
    data: ProductData = step.data
    pids = step.draft.pids
    find = step.ui.get("find") or {}
    lines = [
        "<b>"
        + _("Specific products")
        + "</b> — "
        + ngettext("{n} selected", "{n} selected", len(pids)).format(n=number(len(pids)))
        + (f": {esc(', '.join(pids[:20]))}" if pids else "")
    ]
    rows: list[list[tuple[str, str]]] = []
    if not data.categories and data.products is None:
        lines.append(
            _(
                "Your shop has no products here yet: they come from the platform, which sends "
                "them through the API. You can still type product ids (separated by spaces or "
                "commas), or go back and choose the entire shop."
            )
        )
        rows.append([(_("« Entire shop instead"), "shop")])
    elif data.products is not None:
        label = (
            _("category {category}").format(category=esc(find["category"]))
            if find.get("category")
            else f"“{esc(find['query'])}”"
        )
        if data.products:
            lines.append(_("Products in {label} — tap to select or unselect:").format(label=label))
        else:
            lines.append(
                _(
                    "No product matches {label}. Type a name or product ids, or pick a category."
                ).format(label=label)
            )
        rows += [
            [(_product_label(p, p.product_id in pids, step.currency), f"tg.{i}")]
            for i, p in enumerate(data.products)
        ]
        nav = [(_("« Categories"), "all")]
        if data.cursor is not None:
            nav.append((_("More ▶"), f"pg.{data.cursor}"))
        rows.append(nav)
    else:
        lines.append(
            _(
                "Find products by category below, type a name to search, or type product ids "
                "(separated by spaces or commas)."
            )
        )
        cats = [
            (cat or _("(no category)"), f"cat.{i}") for i, cat in enumerate(data.categories[:30])
        ]
        rows += [cats[i : i + 3] for i in range(0, len(cats), 3)]
        rows.append([(_("« Entire shop instead"), "shop")])
    rows.append([(_("✅ Done ({n})").format(n=len(pids)), "done")])
    return Question("\n".join(lines), rows)


async def load_products(step: StepContext[Draft]) -> ProductData:
    """The categories, and the page of the category or search being looked at."""
    categories = await step.services.products.categories(step.actor)
    find = step.ui.get("find")
    if not find:
        step.ui.pop("shown", None)
        return ProductData(categories, None, None, len(categories))
    products, cursor = await step.services.products.search_page(
        step.actor,
        query=find.get("query"),
        category=find.get("category"),
        limit=PRODUCT_PAGE,
        after_id=find.get("after"),
    )
    step.ui["shown"] = [p.product_id for p in products]
    return ProductData(categories, list(products), cursor, len(categories))


async def products_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    """`shop` (the entire shop instead), `done`, `all` (categories), `cat.<i>`, `pg.<after>`
    (next page), `tg.<i>` (select or unselect the i-th product shown)."""
    draft, ui = step.draft, step.ui
    action, _dot, value = arg.partition(".")
    if action == "shop":
        return Outcome({"scope": "shop", "pids": []})
    if action == "done":
        if not draft.pids:
            return Outcome(problem=_("Select at least one product, or go back to the entire shop."))
        return Outcome({"pids": list(draft.pids)})
    if action == "all":
        ui["find"] = None
    elif action == "cat":
        categories = await step.services.products.categories(step.actor)
        index = int(value)
        if not 0 <= index < len(categories):
            return Outcome(problem=_("That category is gone; pick another."))
        ui["find"] = {"category": categories[index], "query": None, "after": None}
    elif action == "pg":
        find = ui.get("find") or {}
        find["after"] = int(value) if value else None
        ui["find"] = find
    elif action == "tg":
        shown = ui.get("shown") or []
        index = int(value)
        if 0 <= index < len(shown):
            return Outcome({"pids": toggled(draft, shown[index]).pids}, stay=True)
    return Outcome(stay=True)


async def products_typed(step: StepContext[Draft], text: str) -> Outcome:
    """Product ids (separated by spaces or commas) are added and unknown ones named;
    anything that looks like no id at all is a name search."""
    draft = step.draft
    tokens = [t for t in text.replace(",", " ").split() if t]
    found: list[str] = []
    unknown: list[str] = []
    for token in tokens:
        try:
            found.append((await step.services.products.get(step.actor, token)).product_id)
        except (NotFound, ValidationFailed):
            unknown.append(token)
    if not found:
        step.ui["find"] = {"category": None, "query": text[:64], "after": None}
        return Outcome(stay=True)
    for pid in found:
        if pid not in draft.pids:
            draft = toggled(draft, pid)
    step.ui["find"] = None
    if unknown:
        return Outcome(
            {"pids": draft.pids},
            problem=_("Added {found}. Not found in your shop: {unknown}.").format(
                found=esc(", ".join(found)), unknown=esc(", ".join(unknown))
            ),
        )
    return Outcome({"pids": draft.pids}, stay=True)


def toggled(draft: Draft, product_id: str) -> Draft:
    pids = list(draft.pids)
    if product_id in pids:
        pids.remove(product_id)
    elif len(pids) < MAX_PRODUCTS:
        pids.append(product_id)
    return Draft.of({**asdict(draft), "pids": pids})


def _product_label(product: ProductView, selected: bool, currency: str) -> str:
    mark = "✅" if selected else "▫️"
    return (
        f"{mark} {fit(product.name, 40)} · {fmt_money(product.price, currency)} · "
        f"{product.product_id[:20]}"
    )
