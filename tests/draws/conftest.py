"""The API fixtures of tests/api, for the draw routes."""

from __future__ import annotations

from tests.api.conftest import api, other_shop, settings  # noqa: F401
from tests.scheduler.conftest import (  # noqa: F401
    live_seller,
    live_services,
    recorder,
    start_scheduler,
)
from tests.scheduler.test_processes import processes  # noqa: F401
