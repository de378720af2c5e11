"""The catalog the platform syncs (R-v4 scopes refer to it)."""

from __future__ import annotations

from pydantic import Field

from bot.http.inputs import ProductBatchIn, ProductIn, ProductPath, ProductQuery
from bot.http.outputs import Out, ProductOut, ProductPage, product_out
from bot.http.routing import Call, Reply, Route, decode_cursor, encode_cursor


class BatchResultOut(Out):
    product: ProductOut
    created: bool = Field(description="true: a new product; false: an update")


class BatchOut(Out):
    items: list[BatchResultOut] = Field(description="one per item, in the order sent")


class DeletedOut(Out):
    product_id: str
    deleted: bool = True


async def upsert_product(call: Call[ProductIn, None, ProductPath]) -> ProductOut:
    body = call.body
    product = await call.services.products.upsert(
        call.actor,
        call.path.product_id,
        name=body.name,
        category=body.category,
        price=body.price,
    )
    return product_out(product)


async def search_products(call: Call[None, ProductQuery, None]) -> ProductPage:
    q = call.query
    items, next_id = await call.services.products.search_page(
        call.actor,
        query=q.q or None,
        category=q.category or None,
        limit=q.limit,
        after_id=decode_cursor(q.cursor),
    )
    return ProductPage(items=[product_out(p) for p in items], next_cursor=encode_cursor(next_id))


async def get_product(call: Call[None, None, ProductPath]) -> ProductOut:
    return product_out(await call.services.products.get(call.actor, call.path.product_id))


async def delete_product(call: Call[None, None, ProductPath]) -> DeletedOut:
    await call.services.products.delete(call.actor, call.path.product_id)
    return DeletedOut(product_id=call.path.product_id)


async def batch_products(call: Call[ProductBatchIn, None, None]) -> Reply:
    results = await call.services.products.upsert_many(
        call.actor, [(i.product_id, i.name, i.category, i.price) for i in call.body.items]
    )
    out = [BatchResultOut(product=product_out(r.product), created=r.created) for r in results]
    return Reply(BatchOut(items=out))


ROUTES = [
    Route(
        "PUT",
        "/v1/products/{product_id}",
        "Create or update a product",
        "products",
        upsert_product,
        params=ProductPath,
        body=ProductIn,
        response=ProductOut,
    ),
    Route(
        "GET",
        "/v1/products",
        "Search the catalog by name or product id, and by category",
        "products",
        search_products,
        query=ProductQuery,
        response=ProductPage,
    ),
    Route(
        "GET",
        "/v1/products/{product_id}",
        "Read a product",
        "products",
        get_product,
        params=ProductPath,
        response=ProductOut,
    ),
    Route(
        "DELETE",
        "/v1/products/{product_id}",
        "Delete a product",
        "products",
        delete_product,
        params=ProductPath,
        response=DeletedOut,
        problems=(409,),
        description="R-api4: refused with a 409 `product_in_use` (with `voucher_id`) while a "
        "voucher that is not deactivated, and can still be claimed or redeemed, applies to it.",
    ),
    Route(
        "POST",
        "/v1/products:batch",
        "Create or update up to 500 products at once",
        "products",
        batch_products,
        body=ProductBatchIn,
        response=BatchOut,
        description="R-api4: one transaction: every item is written, or none (a 422 names "
        "each invalid item as `items.<n>.<field>`).",
    ),
]
