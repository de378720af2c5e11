"""The catalog the platform syncs (R-v4 scopes refer to it)."""

from __future__ import annotations

from bot.http.inputs import ProductIn, ProductPath, ProductQuery
from bot.http.outputs import ProductOut, ProductPage, product_out
from bot.http.routing import Call, Route, decode_cursor, encode_cursor


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
]
