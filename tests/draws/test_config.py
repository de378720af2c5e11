"""R-draw4: DRAND_URLS (several mirrors, or `off`) and PUBLIC_BASE_URL."""

from __future__ import annotations

from bot.config import Settings
from bot.drand_client import DrandMirrors, build_beacon


def test_r_draw4_drand_urls_setting() -> None:
    many = Settings(_env_file=None, drand_urls="https://a.example/, https://b.example")  # type: ignore[call-arg]
    assert many.drand_mirrors == ["https://a.example", "https://b.example"]
    beacon = build_beacon(many.drand_mirrors)
    assert isinstance(beacon, DrandMirrors) and beacon.mirrors == many.drand_mirrors
    off = Settings(_env_file=None, drand_urls="off")  # type: ignore[call-arg]
    assert off.drand_mirrors == [] and build_beacon(off.drand_mirrors) is None
    assert Settings(_env_file=None, public_base_url=" ").public_base_url is None  # type: ignore[call-arg]
