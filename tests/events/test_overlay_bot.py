"""R-ev4 `/overlay` in the bot: one line when PUBLIC_BASE_URL is missing, the link, revoking."""

from __future__ import annotations

from core.services import Services
from tests.bot.conftest import BotRig, Person, rig, sally, standin  # noqa: F401  (fixtures)


async def test_r_ev4_overlay_command_gives_a_link_and_revokes_it(
    rig: BotRig, sally: Person, services: Services  # noqa: F811
) -> None:
    missing = await sally.say("/overlay")
    text = missing.content.plain_text
    assert "public web address is not set" in text and "\n" not in text.strip()
    rig.settings.public_base_url = "https://vouchers.example.com"
    linked = await sally.say("/overlay")
    url = next(w for w in linked.content.plain_text.split() if w.startswith("https://"))
    token = url.rsplit("/", 1)[1]
    assert url == f"https://vouchers.example.com/overlay/{token}"
    assert await services.streams.overlay_access(token)
    revoked = await sally.say("/overlay revoke")
    assert "no longer works" in revoked.content.plain_text
    again = await sally.say("/overlay")
    assert token not in again.content.plain_text
