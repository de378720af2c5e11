"""R-a7 split by segment (R-seg): claims, usage and revenue of the shop's vouchers grouped by
the buyers they target, over a period."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from core.analytics_views import Figures
from core.ids import row_id
from core.rules.roles import Action, Actor
from core.rules.targeting import Segment
from core.services.analytics import check_period
from core.services.base import Service, require
from storage import analytics_queries as q


class SegmentAnalytics(Service):
    async def by_segment(
        self, actor: Actor, start: datetime | None = None, end: datetime | None = None
    ) -> dict[Segment, Figures]:
        """Every segment (`all` included), in `Segment`'s order, with its figures over
        [start, end); distinct buyers are counted per segment, not added up per voucher."""
        require(actor, Action.READ)
        check_period(start, end)  # the same refusals as the summary (`from`, `to`)
        async with self.db.read() as session:
            vouchers = await q.shop_vouchers(session, actor.shop_id)
            claims = await q.claim_counts(session, actor.shop_id, start, end, ["voucher"])
            ids: dict[str, list[int]] = defaultdict(list)
            for v in vouchers:
                ids[v.segment].append(row_id(v))
            out: dict[Segment, Figures] = {}
            for segment in Segment:
                members = ids.get(segment, [])
                orders = (
                    await q.order_totals(
                        session, actor.shop_id, start, end, [], voucher_ids=members
                    )
                    if members
                    else {}
                )
                count = sum(claims.get((vid,), 0) for vid in members)
                out[segment] = Figures.of(count, orders.get(()))
        return out
