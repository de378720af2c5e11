"""R-l10n3: the HTTP API stays in English whatever the shop's or the caller's language: its
codes are stable and `title`/`detail`/`errors[].message` are for engineers."""

from __future__ import annotations

from core.rules.roles import Actor
from core.services import Services
from tests.api.conftest import Api, api, settings, voucher_body  # noqa: F401


async def test_r_l10n3_problems_stay_english_in_an_indonesian_shop(
    api: Api,  # noqa: F811
    services: Services,
    seller: Actor,
) -> None:
    await services.languages.set_shop_language(seller, "id")
    headers = {"Accept-Language": "id-ID,id;q=0.9"}
    status, missing = await api.call("GET", "/v1/vouchers/999", headers=headers)
    assert status == 404
    assert (missing["code"], missing["title"]) == ("voucher_not_found", "Not found")
    assert missing["detail"] == "voucher 999 not found"
    status, bad = await api.call(
        "POST",
        "/v1/vouchers",
        json=voucher_body(discount={"type": "percent", "percent": 150, "max_discount": 100}),
        headers=headers,
    )
    assert status == 422 and bad["code"] == "validation_failed"
    assert bad["detail"] == "The request has invalid fields."
    [error] = bad["errors"]
    assert error["field"] == "discount.percent"
    assert error["message"].startswith("must be")  # English, never "harus"
