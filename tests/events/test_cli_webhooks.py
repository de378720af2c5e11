"""R-ev2 `voucherbot webhooks …`: the same endpoints as the API, from the command line."""

from __future__ import annotations

import argparse

import pytest

from bot.cli_webhooks import add_arguments, run
from bot.config import Settings
from core.rules.roles import Actor
from core.services import Services


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


async def test_r_ev2_cli_adds_lists_rotates_disables_and_deletes(
    services: Services, seller: Actor, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db", webhook_allow_private=True)
    shop = str(seller.shop_id)
    await run(
        _args("add", "http://127.0.0.1:9/h", "--type", "drop.fired", "--shop", shop),
        settings,
        services,
    )
    out = capsys.readouterr().out
    assert "#1 http://127.0.0.1:9/h · enabled · drop.fired" in out and "secret: whsec_" in out
    await run(_args("rotate", "1", "--shop", shop), settings, services)
    assert "new secret: whsec_" in capsys.readouterr().out
    await run(_args("disable", "1", "--shop", shop), settings, services)
    assert "disabled (manual)" in capsys.readouterr().out
    await run(_args("list", "--shop", shop), settings, services)
    assert "secret" not in capsys.readouterr().out  # never shown again
    await run(_args("delete", "1", "--shop", shop), settings, services)
    await run(_args("list", "--shop", shop), settings, services)
    assert "no webhook endpoints" in capsys.readouterr().out
