"""The services the adapters call: one object per aggregate, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock, SystemClock
from core.services.accounts import AccountService
from core.services.advice import AdviceService
from core.services.analytics import AnalyticsService
from core.services.api_keys import ApiKeyService
from core.services.checkout import CheckoutService
from core.services.claim_cache import ClaimCache
from core.services.claims import ClaimService
from core.services.draws import DrawService
from core.services.forecast import ForecastService
from core.services.live import LiveService
from core.services.products import ProductService
from core.services.schedule import ScheduleService
from core.services.shops import ShopService
from core.services.vouchers import VoucherService
from storage.db import Database


@dataclass
class Services:
    db: Database
    clock: Clock
    shops: ShopService
    accounts: AccountService
    api_keys: ApiKeyService
    products: ProductService
    schedule: ScheduleService
    vouchers: VoucherService
    live: LiveService
    claims: ClaimService
    checkout: CheckoutService
    analytics: AnalyticsService
    advice: AdviceService
    forecast: ForecastService
    draws: DrawService

    @classmethod
    def build(cls, db: Database, clock: Clock | None = None) -> Services:
        clock = clock or SystemClock()
        claim_cache = ClaimCache()
        claims = ClaimService(db, clock, claim_cache)
        return cls(
            db=db,
            clock=clock,
            shops=ShopService(db, clock),
            accounts=AccountService(db, clock),
            api_keys=ApiKeyService(db, clock),
            products=ProductService(db, clock),
            schedule=ScheduleService(db, clock),
            vouchers=VoucherService(db, clock, claim_cache),
            live=LiveService(db, clock),
            claims=claims,
            checkout=CheckoutService(db, clock),
            analytics=AnalyticsService(db, clock),
            advice=AdviceService(db, clock),
            forecast=ForecastService(db, clock),
            draws=DrawService(db, clock, claims),
        )
