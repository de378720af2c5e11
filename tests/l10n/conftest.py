"""The bot fixtures of tests/bot (the real Application against the Telegram stand-in)."""

from tests.bot.conftest import rig, sally, standin, stranger  # noqa: F401
