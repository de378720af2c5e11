"""The claim path's storage seam: one contract (`contract`), two stores (`sqlite`, `postgres`)
sharing one group-commit batcher (`batcher`), and the factory the composition root calls."""

from storage.claim_store.contract import ClaimStore, PreparedNotice, TakeRequest, TakeResult
from storage.claim_store.event_rows import PreparedEvent
from storage.claim_store.factory import build_claim_store

__all__ = [
    "ClaimStore",
    "PreparedEvent",
    "PreparedNotice",
    "TakeRequest",
    "TakeResult",
    "build_claim_store",
]
