"""The shop's catalog as the platform syncs it (R-v4 scopes refer to it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import Conflict, FieldError, NotFound, ValidationFailed
from core.ids import check_platform_id
from core.refusal_codes import VoucherCode
from core.rules.roles import Action, Actor
from core.services.base import Service, require
from core.values import is_whole_in
from core.views import ProductView
from storage import api_queries
from storage import repositories as repo

MAX_PRICE = 10**12
MAX_BATCH = 500  # R-api4: products per batch upsert


@dataclass(frozen=True)
class BatchItem:
    """One product of a batch upsert, and whether it was new."""

    product: ProductView
    created: bool


class ProductService(Service):
    async def upsert(
        self, actor: Actor, product_id: str, *, name: str, category: str = "", price: int
    ) -> ProductView:
        require(actor, Action.MANAGE_VOUCHERS)
        check_platform_id(product_id, "product_id")
        values = self._values(name, category, price)
        async with self.db.write() as session:
            await repo.upsert_product(session, actor.shop_id, product_id, values)
        return ProductView(product_id, values["name"], values["category"], price)

    def _values(
        self, name: object, category: object, price: object, at: str = ""
    ) -> dict[str, Any]:
        errors = []
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors.append(FieldError(f"{at}name", "must be 1–200 characters"))
        if not isinstance(category, str) or len(category) > 100:
            errors.append(FieldError(f"{at}category", "must be at most 100 characters"))
        if not is_whole_in(price, 0, MAX_PRICE):
            errors.append(FieldError(f"{at}price", "must be a whole number of minor units ≥ 0"))
        if errors:
            raise ValidationFailed(errors)
        return {
            "name": str(name).strip(),
            "category": str(category).strip(),
            "price": price,
            "updated_at": self.clock.now(),
        }

    async def upsert_many(
        self, actor: Actor, items: list[tuple[str, str, str, int]]
    ) -> list[BatchItem]:
        """R-api4: up to 500 `(product_id, name, category, price)` in one transaction; any
        invalid item refuses the whole batch (each error names `items.<n>.<field>`)."""
        require(actor, Action.MANAGE_VOUCHERS)
        if not 1 <= len(items) <= MAX_BATCH:
            raise ValidationFailed([FieldError("items", f"must hold 1–{MAX_BATCH} products")])
        errors: list[FieldError] = []
        rows: list[tuple[str, dict[str, Any]]] = []
        seen: set[str] = set()
        for n, (product_id, name, category, price) in enumerate(items):
            try:
                check_platform_id(product_id, f"items.{n}.product_id")
                if product_id in seen:
                    raise ValidationFailed(
                        [FieldError(f"items.{n}.product_id", "appears twice in the batch")]
                    )
                seen.add(product_id)
                rows.append((product_id, self._values(name, category, price, f"items.{n}.")))
            except ValidationFailed as exc:
                errors.extend(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        async with self.db.write() as session:
            known = {p.product_id for p in await repo.products_by_ids(session, actor.shop_id, seen)}
            for product_id, values in rows:
                await repo.upsert_product(session, actor.shop_id, product_id, values)
        return [
            BatchItem(ProductView(pid, v["name"], v["category"], v["price"]), pid not in known)
            for pid, v in rows
        ]

    async def delete(self, actor: Actor, product_id: str) -> None:
        """R-api4: refused (409 `product_in_use`) while a voucher scopes the product."""
        require(actor, Action.MANAGE_VOUCHERS)
        check_platform_id(product_id, "product_id")
        async with self.db.write() as session:
            voucher_id = await api_queries.voucher_scoping(
                session, actor.shop_id, product_id, self.clock.now()
            )
            if voucher_id is not None:
                raise Conflict(
                    f"Voucher {voucher_id} applies to this product: deactivate it first.",
                    code=VoucherCode.PRODUCT_IN_USE,
                    voucher_id=voucher_id,
                )
            if not await api_queries.delete_product(session, actor.shop_id, product_id):
                raise NotFound(
                    f"product {product_id} not found", code=VoucherCode.PRODUCT_NOT_FOUND
                )

    async def get(self, actor: Actor, product_id: str) -> ProductView:
        require(actor, Action.READ)
        async with self.db.read() as session:
            product = await repo.get_product(session, actor.shop_id, product_id)
        if product is None:
            raise NotFound(f"product {product_id} not found", code=VoucherCode.PRODUCT_NOT_FOUND)
        return ProductView.of(product)

    async def search_page(
        self,
        actor: Actor,
        *,
        query: str | None = None,
        category: str | None = None,
        limit: int = 20,
        after_id: int | None = None,
    ) -> tuple[list[ProductView], int | None]:
        """Products by name or product id (`query`) and by category — R-v4's product finder —
        one page and the cursor of the next (None at the end)."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            rows = await repo.search_products(
                session,
                actor.shop_id,
                query=query,
                category=category,
                limit=limit + 1,
                after_id=after_id,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        return [ProductView.of(p) for p in rows], (rows[-1].id if more else None)

    async def categories(self, actor: Actor) -> list[str]:
        require(actor, Action.READ)
        async with self.db.read() as session:
            return await repo.product_categories(session, actor.shop_id)
