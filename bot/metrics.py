"""Prometheus metrics of the service, served by `GET /metrics`.

A neutral module (neither HTTP nor Telegram) with module-level collectors on
prometheus-client's default registry, so every part of the process (the HTTP API, the
notification sender) reports into the one `/metrics` page without one side importing the
other:
- `OUTBOX_PENDING.set(n)`: the notification sender's queue depth;
- `CLAIMS.labels(outcome=...)`: claims by outcome (`claimed` or an R-c1 refusal code).
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

HTTP_REQUESTS = Counter(
    "voucherbot_http_requests_total",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "voucherbot_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CLAIMS = Counter(
    "voucherbot_claims_total",
    "Claim requests by outcome: `claimed`, or the refusal code (sold_out, limit_reached, …).",
    ["outcome"],
)
OUTBOX_PENDING = Gauge(
    "voucherbot_outbox_pending",
    "Team notifications written but not yet delivered (the sender's queue depth).",
)


class RouteMetrics:
    """The HTTP metric children of one route template and method, resolved once."""

    __slots__ = ("_method", "_requests", "_route", "latency")

    def __init__(self, route: str, method: str) -> None:
        self._route = route
        self._method = method
        self._requests: dict[int, Counter] = {}
        self.latency = HTTP_LATENCY.labels(route, method)

    def record(self, status: int, seconds: float) -> None:
        requests = self._requests.get(status)
        if requests is None:
            requests = HTTP_REQUESTS.labels(self._route, self._method, str(status))
            self._requests[status] = requests
        requests.inc()
        self.latency.observe(seconds)


_CLAIM_OUTCOMES: dict[str, Counter] = {}


def record_claim(outcome: str) -> None:
    # The outcomes are a handful of codes: resolve each one's child once.
    child = _CLAIM_OUTCOMES.get(outcome)
    if child is None:
        child = _CLAIM_OUTCOMES[outcome] = CLAIMS.labels(outcome=outcome)
    child.inc()


def exposition() -> tuple[bytes, str]:
    """The metrics page and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
