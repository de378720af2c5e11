from tests.bot.conftest import Person


async def test_start_and_help(sally: Person) -> None:
    reply = await sally.say("/start")
    assert "seller" in reply.content.plain_text
