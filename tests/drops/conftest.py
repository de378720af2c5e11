"""The API client fixtures of tests/api, for the drops' API tests."""

from tests.api.conftest import api, other_shop, settings  # noqa: F401
