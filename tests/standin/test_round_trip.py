"""The real PTB Application against the stand-in: commands, buttons, files, commands lists."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.ext import Application

from bot.telegram_standin import TelegramStandIn
from tests.standin.tiny_bot import CSV_BYTES, tiny_png

App = Application  # type: ignore[type-arg]


async def test_command_round_trip_with_html_and_keyboard(
    standin: TelegramStandIn, tiny_app: App
) -> None:
    ann = standin.user(1, "Ann", "ann")
    sent = await standin.send_text(ann, "/start abc")

    assert sent.update is not None
    assert sent.update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    reply = await standin.next_reply(ann, since=sent)
    assert reply.text == "Welcome <b>Ann</b> &amp; co! payload=abc"
    assert reply.plain_text == "Welcome Ann & co! payload=abc"
    assert reply.parse_mode == "HTML"
    assert reply.entities == [{"type": "bold", "offset": 8, "length": 3}]
    assert reply.button_rows == [
        [("Yes", "choice:yes"), ("No", "choice:no")],
        [("Docs", "https://example.com/docs")],
    ]
    assert reply.reply_to is None  # PTB quotes only in groups by default
    assert standin.last_message(ann) is reply


async def test_plain_text_round_trip(standin: TelegramStandIn, tiny_app: App) -> None:
    reply = await standin.ask(standin.user(2, "Bob"), "hello 👋 there")
    assert reply.plain_text == "You said: hello 👋 there"


async def test_button_press_edits_and_answers(standin: TelegramStandIn, tiny_app: App) -> None:
    ann = standin.user(1, "Ann")
    menu = await standin.ask(ann, "/start")

    press = await standin.press_button(ann, menu, text="No")
    answer = await press.answer()
    assert (answer.text, answer.data, answer.show_alert) == ("Got no", "choice:no", False)
    assert press.update is not None
    assert press.update["callback_query"]["message"]["message_id"] == menu.message_id

    edited = await standin.wait_for_message(ann, contains="You chose", since=press)
    assert edited is menu
    assert edited.plain_text == "You chose no"
    assert edited.buttons == []  # editMessageText without reply_markup drops the keyboard
    assert edited.history[0].plain_text.startswith("Welcome Ann")


async def test_url_buttons_cannot_be_pressed(standin: TelegramStandIn, tiny_app: App) -> None:
    ann = standin.user(1, "Ann")
    menu = await standin.ask(ann, "/start")
    with pytest.raises(ValueError, match="sends nothing"):
        await standin.press_button(ann, menu, text="Docs")
    with pytest.raises(LookupError):
        await standin.press_button(ann, menu, "choice:maybe")


async def test_photo_and_document_bytes_are_recorded(
    standin: TelegramStandIn, tiny_app: App
) -> None:
    ann = standin.user(1, "Ann")
    await standin.send_text(ann, "/files")

    document = await standin.wait_for_message(ann, contains="Export")
    (photo,) = (message for message in standin.messages(ann) if message.kind == "photo")
    assert photo.file is not None and photo.file.data == tiny_png()
    assert (photo.file.filename, photo.file.width, photo.file.height) == ("chart.png", 3, 2)
    assert (photo.text, photo.plain_text) == ("<b>Chart</b>", "Chart")
    assert document.file is not None and document.file.data == CSV_BYTES
    assert document.file.filename == "vouchers.csv"
    assert document.file.mime_type == "text/csv"
    actions = [event.detail for event in standin.events if event.kind == "chat_action"]
    assert actions == ["upload_photo"]


async def test_bot_downloads_a_users_document(standin: TelegramStandIn, tiny_app: App) -> None:
    ann = standin.user(1, "Ann")
    sent = await standin.send_document(ann, b"42 vouchers", "import.txt")
    reply = await standin.next_reply(ann, since=sent)
    assert reply.plain_text == "Got import.txt: 42 vouchers"


async def test_set_my_commands_is_recorded(standin: TelegramStandIn, tiny_app: App) -> None:
    ann = standin.user(1, "Ann")
    await standin.ask(ann, "/commands")

    first, second = standin.commands_calls
    assert first.names == ["start", "files", "commands"]
    assert first.scope == {"type": "default"}
    assert second.names == ["team"]
    assert second.scope == {"type": "chat", "chat_id": 1}
    assert standin.commands()[0] == ("start", "Welcome")
    assert standin.calls["setMyCommands"] == 2
    got = await tiny_app.bot.get_my_commands()
    assert [command.command for command in got] == ["start", "files", "commands"]
    await tiny_app.bot.delete_my_commands()
    assert standin.commands() == []


async def test_group_commands_privacy_and_membership(
    standin: TelegramStandIn, tiny_app: App
) -> None:
    ann = standin.user(1, "Ann")
    team = standin.group(-100123, "Team", bot_status="left")

    await standin.add_bot_to_group(team, by=ann)
    hello = await standin.wait_for_message(team, contains="Hello Team!")
    assert hello.chat.type == "group"

    chatter = await standin.send_text(ann, "just chatting", team)
    assert chatter.update is None  # privacy mode: the bot does not see plain group talk
    other_bot = await standin.send_text(ann, "/start@some_other_bot", team)
    assert other_bot.update is None
    addressed = await standin.send_text(ann, f"/start@{standin.bot.username} x", team)
    reply = await standin.next_reply(team, since=addressed)
    assert reply.plain_text.endswith("payload=x")
    assert reply.reply_to is addressed.message  # sent with reply_parameters

    standin.set_member(team, standin.bot, "administrator")
    seen = await standin.send_text(ann, "now you see me", team)
    assert (await standin.next_reply(team, since=seen)).plain_text == "You said: now you see me"


async def test_chat_and_member_objects_parse_in_ptb(standin: TelegramStandIn, raw_bot: Bot) -> None:
    ann = standin.user(1, "Ann", "ann")
    bob = standin.user(2, "Bob")
    team = standin.group(-1001234567890, "Team", creator=ann, admins=[bob], username="teamchat")

    chat = await raw_bot.get_chat(team.id)
    assert (chat.type, chat.title) == ("supergroup", "Team")
    assert (await raw_bot.get_chat("@teamchat")).id == team.id
    statuses = [
        (await raw_bot.get_chat_member(team.id, user.id)).status
        for user in (ann, bob, standin.user(3, "Cy"), standin.bot)
    ]
    assert statuses == ["creator", "administrator", "left", "member"]
    private = await raw_bot.get_chat(ann.id)
    assert (private.type, private.username) == ("private", "ann")
