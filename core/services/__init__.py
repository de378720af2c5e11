"""The services the adapters call: one object per aggregate, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock, SystemClock
from core.services.accounts import AccountService
from core.services.advice import AdviceService
from core.services.analytics import AnalyticsService
from core.services.api_keys import ApiKeyService
from core.services.beacon import BeaconFetcher
from core.services.buyer_histories import BuyerHistories
from core.services.checkout import CheckoutService
from core.services.claim_cache import ClaimCache
from core.services.claims import ClaimService
from core.services.draws import DrawService, panel_draws
from core.services.drops import DropService
from core.services.events import EventService
from core.services.forecast import ForecastService
from core.services.languages import LanguageService
from core.services.live import LiveService
from core.services.live_claim_cache import LiveClaimCache
from core.services.live_panel import LivePanelService
from core.services.products import ProductService
from core.services.schedule import ScheduleService
from core.services.segment_analytics import SegmentAnalytics
from core.services.shops import ShopService
from core.services.streams import StreamService
from core.services.team_chats import TeamChatService
from core.services.vouchers import VoucherService
from core.services.webhooks import WebhookService
from storage.changes import ChangeFeed
from storage.db import Database
from storage.resources import Resources


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
    drops: DropService  # R-drop1
    panel: LivePanelService  # R-live5
    changes: ChangeFeed
    languages: LanguageService  # R-l10n1
    draws: DrawService  # R-draw1–3
    team_chats: TeamChatService  # issue 25: chats that move, close or block the bot
    segments: SegmentAnalytics  # R-a7 split by segment (R-seg)
    events: EventService  # R-ev1
    webhooks: WebhookService  # R-ev2
    streams: StreamService  # R-ev3, R-ev4
    resources: Resources  # the long-lived storage resources the services share

    @classmethod
    def build(
        cls,
        db: Database,
        clock: Clock | None = None,
        *,
        resources: Resources | None = None,
        beacon: BeaconFetcher | None = None,
        public_base_url: str | None = None,
    ) -> Services:
        """The services over the resources the caller built and closes (`resources`: the
        composition root's, `storage.resources`). Without them (tests, scripts, the CLI)
        they are built here once and closed with the database, their one owner then.
        `beacon`: the drand mirrors lucky draws wait for (R-draw4); None makes seed-only
        draws (`DRAND_URLS=off`, and tests that do not give one); `public_base_url` makes the
        draw notices link to the service's /verify page."""
        clock = clock or SystemClock()
        if resources is None:
            resources = Resources.build(db)
            db.on_dispose(resources.close)
        changes = resources.changes
        claim_cache = ClaimCache(fresh=changes.fresh)
        changes.subscribe(claim_cache.on_change)
        live_cache = LiveClaimCache(fresh=changes.fresh)  # R-live3, R-scale1
        changes.subscribe(live_cache.on_change)
        live = LiveService(db, clock)
        live.beacon = beacon
        live.verify_base = public_base_url
        forecast = ForecastService(db, clock)
        histories = BuyerHistories(fresh=changes.fresh)  # R-seg's memory of buyers
        changes.subscribe(histories.on_change)
        claims = ClaimService(
            db,
            clock,
            claim_cache,
            store=resources.claim_store,
            histories=histories,
            live_cache=live_cache,
        )
        panel = LivePanelService(db, clock, forecast)
        panel.draw_source = panel_draws  # R-live5: running draws on the host's panel
        return cls(
            db=db,
            clock=clock,
            shops=ShopService(db, clock, claim_cache),
            accounts=AccountService(db, clock),
            api_keys=ApiKeyService(db, clock),
            products=ProductService(db, clock),
            schedule=ScheduleService(db, clock),
            vouchers=VoucherService(db, clock, claim_cache),
            live=live,
            claims=claims,
            checkout=CheckoutService(db, clock, claims),
            analytics=AnalyticsService(db, clock),
            advice=AdviceService(db, clock),
            forecast=forecast,
            drops=DropService(db, clock, live),
            panel=panel,
            changes=changes,
            languages=LanguageService(db, clock),
            draws=DrawService(
                db,
                clock,
                claims,
                beacon=beacon,
                verify_base=public_base_url,
                writer=resources.entry_writer,
                reader=resources.entry_reader,
            ),
            team_chats=TeamChatService(db, clock),
            segments=SegmentAnalytics(db, clock),
            events=EventService(db, clock),
            webhooks=WebhookService(db, clock),
            streams=StreamService(db, clock),
            resources=resources,
        )
