"""Issue 25, items 4 and 5, against the stand-in: an edited message never acts (a command or an
answer in a flow), and is answered once per flow; a photo or a sticker in a flow step gets the
step's question again with what it takes."""

from __future__ import annotations

from typing import Any

from bot.telegram_standin import RecordedMessage
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import TIMEOUT, BotRig, Person
from tests.conftest import draft

EDIT_NOTICE = "Edits are not applied; send a new message."


async def send(rig: BotRig, person: Person, text: str) -> tuple[RecordedMessage, RecordedMessage]:
    """Sends `text`; returns the person's message and the bot's reply."""
    sent = await rig.standin.send_text(person.user, text)
    reply = await rig.standin.next_reply(person.chat, TIMEOUT, since=sent.seq)
    return sent.message, reply


async def edit(rig: BotRig, message: RecordedMessage, text: str) -> int:
    """The person edits `message` to `text` (Telegram's `edited_message` update); returns the
    log's mark before it, for what the bot says next."""
    payload: dict[str, Any] = {**message.to_json(), "text": text, "edit_date": message.date + 5}
    payload.pop("entities", None)
    mark = rig.standin.mark()
    await rig.standin.state.updates.put("edited_message", payload)
    return mark


async def put_message(rig: BotRig, person: Person, extra: dict[str, Any]) -> int:
    """A message with no text (a sticker, a voice note…), as Telegram delivers it."""
    chat = rig.standin.state.directory.chats[person.user.id]
    payload = {
        "message_id": rig.standin.state.log.next_message_id(chat.id),
        "from": person.user.to_json(),
        "chat": chat.to_json(),
        "date": rig.standin.state.now(),
        **extra,
    }
    mark = rig.standin.mark()
    await rig.standin.state.updates.put("message", payload)
    return mark


STICKER = {
    "sticker": {
        "file_id": "CAACAgIAAxkBAAE",
        "file_unique_id": "AgADsticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
}


async def test_issue25_an_edited_answer_is_not_taken_and_is_answered_once(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "Regular")
    m = await sally.press(m, "Amount off")
    five, m = await send(rig, sally, "5")
    assert "above the discount ($5.00)" in m.content.plain_text
    mark = await edit(rig, five, "3")
    notice = await rig.standin.next_reply(sally.chat, TIMEOUT, since=mark)
    assert notice.content.plain_text == EDIT_NOTICE
    mark = await edit(rig, five, "4")  # told once per flow: the next reply is the question's
    _bad, again = await send(rig, sally, "abc")
    assert EDIT_NOTICE not in again.content.plain_text
    assert "above the discount ($5.00)" in again.content.plain_text  # the amount is still 5
    assert [m for m in rig.standin.messages(sally.chat) if m.content.plain_text == EDIT_NOTICE][
        1:
    ] == []


async def test_issue25_an_edited_command_does_not_act_again(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    command, _reply = await send(rig, sally, "/apikey")
    assert len(await services.api_keys.list(seller)) == 1
    await edit(rig, command, "/apikey ")
    _, later = await send(rig, sally, "/quota")  # handled after the edit, in order
    assert "quota" in later.content.plain_text.lower() or "ongoing" in later.content.plain_text
    assert len(await services.api_keys.list(seller)) == 1
    assert not any(m.content.plain_text == EDIT_NOTICE for m in rig.standin.messages(sally.chat))


async def test_issue25_a_photo_gets_the_question_again_with_what_it_takes(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "Regular")
    m = await sally.press(m, "Amount off")
    sent = await rig.standin.send_photo(sally.user, b"\x89PNG not really")
    again = await rig.standin.next_reply(sally.chat, TIMEOUT, since=sent.seq)
    assert "I can only read text here" in again.content.plain_text
    assert (
        "Step 3 of 13" in again.content.plain_text and "How much off?" in again.content.plain_text
    )


async def test_issue25_a_sticker_on_a_buttons_step_asks_for_a_tap(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft(name="Live one", kind="live"))
    await sally.say("/live")
    m = await sally.say("/issue")
    assert "Which LIVE voucher?" in m.content.plain_text
    mark = await put_message(rig, sally, STICKER)
    again = await rig.standin.next_reply(sally.chat, TIMEOUT, since=mark)
    assert "I can only read button taps here" in again.content.plain_text
    assert "Which LIVE voucher?" in again.content.plain_text and "Step 1 of 2" in (
        again.content.plain_text
    )
    m = await sally.press(again, "#")  # and the flow goes on from the new message
    assert "Task for" in m.content.plain_text
