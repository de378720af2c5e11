"""The shop's catalog as the platform syncs it (R-v4 scopes refer to it)."""

from __future__ import annotations

from core.errors import FieldError, NotFound, ValidationFailed
from core.ids import check_platform_id
from core.rules.roles import Action, Actor
from core.services.base import Service, require
from core.values import is_whole_in
from core.views import ProductView
from storage import repositories as repo

MAX_PRICE = 10**12


class ProductService(Service):
    async def upsert(
        self, actor: Actor, product_id: str, *, name: str, category: str = "", price: int
    ) -> ProductView:
        require(actor, Action.MANAGE_VOUCHERS)
        check_platform_id(product_id, "product_id")
        errors = []
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors.append(FieldError("name", "must be 1–200 characters"))
        if not isinstance(category, str) or len(category) > 100:
            errors.append(FieldError("category", "must be at most 100 characters"))
        if not is_whole_in(price, 0, MAX_PRICE):
            errors.append(FieldError("price", "must be a whole number of minor units ≥ 0"))
        if errors:
            raise ValidationFailed(errors)
        values = {
            "name": name.strip(),
            "category": category.strip(),
            "price": price,
            "updated_at": self.clock.now(),
        }
        async with self.db.write() as session:
            await repo.upsert_product(session, actor.shop_id, product_id, values)
        return ProductView(product_id, values["name"], values["category"], price)  # type: ignore[arg-type]

    async def get(self, actor: Actor, product_id: str) -> ProductView:
        require(actor, Action.READ)
        async with self.db.read() as session:
            product = await repo.get_product(session, actor.shop_id, product_id)
        if product is None:
            raise NotFound(f"product {product_id} not found", code="product_not_found")
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
