"""The API client fixtures of tests/api, for the events' API tests."""

from tests.api.conftest import api, other_shop, settings  # noqa: F401
