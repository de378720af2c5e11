"""Chat with the bot from a terminal, through the stand-in.

Lines typed are sent as a Telegram user; what the bot sends is printed as it arrives, with
buttons numbered for /press. Terminal commands (everything else goes to the bot):

    /as <user id> [name]     act as another user (created on first use)
    /group <id> [title]      talk in a group chat (negative id; the bot is in it)
    /private                 back to the current user's private chat
    /press <n|data|label>    press a button of the latest message with buttons
    /file <path>             send a file as a document;  /photo <path> as a photo
    /?                       this help;  /quit (or end of input) leaves

A pasted invite link (https://t.me/<bot>?start=<token>) opens it, as tapping it in Telegram
would: it is sent as /start <token>.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import tempfile
import threading
from functools import partial
from pathlib import Path
from typing import TextIO

from bot.telegram_standin.conversation_log import CHAT_ACTION, Event
from bot.telegram_standin.directory import TgChat, TgUser
from bot.telegram_standin.files import StoredFile
from bot.telegram_standin.rendering import flat_buttons
from bot.telegram_standin.standin import TelegramStandIn
from bot.telegram_standin.transcript import chat_heading, format_event

HELP = __doc__.split("\n\n", 1)[1].rstrip() if __doc__ else ""
# A bot's deep link, as a seller pastes it from an invite (`https://t.me/<bot>?start=<token>`).
DEEP_LINK = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/(\w+)\?start=([\w-]{1,64})$")
QUIET_PERIOD = 0.05  # a burst of bot messages counts as one reply until it pauses this long


class _ThreadedLines:
    """Lines of a blocking text stream, read by a daemon thread.

    A daemon thread, not ``asyncio.to_thread``: a thread blocked in ``readline`` would keep
    ``asyncio.run`` from returning (it joins its executor) until the person pressed Enter; and
    not ``connect_read_pipe`` on a tty, which makes stdout non-blocking too.
    """

    def __init__(self, stream: TextIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._lines: asyncio.Queue[str] = asyncio.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: TextIO) -> None:
        while True:
            try:
                line = stream.readline()
            except (OSError, ValueError):
                line = ""
            with contextlib.suppress(RuntimeError):  # the loop may be gone at exit
                self._loop.call_soon_threadsafe(self._lines.put_nowait, line)
            if not line:
                return

    async def readline(self) -> str:
        return await self._lines.get()


class _ReaderLines:
    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    async def readline(self) -> str:
        return (await self._reader.readline()).decode("utf-8", "replace")


class TerminalChat:
    """The REPL's state: who is typing, where, and what has been printed."""

    def __init__(
        self,
        standin: TelegramStandIn,
        user: TgUser,
        output: TextIO,
        *,
        ansi: bool,
        media_dir: Path | None,
        reply_timeout: float,
        echo_input: bool,
    ) -> None:
        self.standin = standin
        self.user = user
        self.chat: TgChat = standin.state.directory.chats[user.id]
        self.output = output
        self.ansi = ansi
        self.media_dir = media_dir
        self.reply_timeout = reply_timeout
        self.echo_input = echo_input
        self.printed_seq = standin.mark()
        self.own_seqs: set[int] = set()
        self.shown_chat: int | None = self.chat.id

    # -- output ------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()

    def _file_note(self, stored: StoredFile, event: Event) -> str:
        if stored.url is not None or not stored.data:
            return f"[{stored.kind}: {stored.url or stored.filename}]"
        if self.media_dir is None:
            self.media_dir = Path(tempfile.mkdtemp(prefix="standin-media-"))
        message_id = event.message.message_id if event.message else 0
        path = self.media_dir / f"{event.chat_id}-{message_id}-{Path(stored.filename).name}"
        try:
            self.media_dir.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                path.write_bytes(stored.data)
        except OSError as error:
            return f"[{stored.kind}: {stored.filename}, {stored.size} bytes, not saved: {error}]"
        return f"[{stored.kind}: {stored.filename}, {stored.size} bytes saved to {path}]"

    def print_new_events(self) -> None:
        """Print what happened since the last call (synchronously, so nothing interleaves)."""
        events = self.standin.events
        for event in events[self.printed_seq :]:
            self.printed_seq = event.seq
            if event.kind == CHAT_ACTION:
                continue
            if event.seq in self.own_seqs and not self.echo_input:
                continue
            lines = format_event(event, ansi=self.ansi, file_note=self._file_note)
            if not lines:
                continue
            if event.chat_id != self.shown_chat:
                self.say(chat_heading(event.chat))
                self.shown_chat = event.chat_id
            for line in lines:
                self.say(line)

    async def print_forever(self) -> None:
        """Print the bot's messages as they come, also those not answering a typed line."""
        while True:
            with contextlib.suppress(TimeoutError):
                await self.standin.wait_for(
                    lambda: self.standin.mark() > self.printed_seq, timeout=3600
                )
            self.print_new_events()

    async def settle(self, since: int) -> None:
        """Wait for the bot's reply to an action, and for a burst of replies to end."""

        def replied_since(mark: int) -> bool:
            return any(event.from_bot for event in self.standin.events[mark:])

        with contextlib.suppress(TimeoutError):
            await self.standin.wait_for(lambda: replied_since(since), timeout=self.reply_timeout)
            while True:
                mark = self.standin.mark()
                await self.standin.wait_for(partial(replied_since, mark), timeout=QUIET_PERIOD)
        self.print_new_events()

    # -- input -------------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False to leave."""
        text = line.strip()
        if not text:
            return True
        command, _, rest = text.partition(" ")
        if command in ("/quit", "/exit"):
            return False
        local = {
            "/?": self._help,
            "/as": self._switch_user,
            "/group": self._switch_group,
            "/private": self._private,
            "/press": self._press,
            "/file": self._send_file,
            "/photo": self._send_file,
        }.get(command)
        if local is not None:
            await local(command, rest.strip())
            return True
        link = DEEP_LINK.match(text)
        if link is not None:
            # What Telegram does when the link is tapped: /start with the link's payload.
            text = f"/start {link.group(2)}"
            self.say(f"* opening the link: {text}")
        before = self.standin.mark()
        chat = None if self.chat.is_private else self.chat
        sent = await self.standin.send_text(self.user, text, chat)
        self.own_seqs.add(sent.seq)
        await self.settle(before)
        return True

    async def _help(self, command: str, argument: str) -> None:
        self.say(HELP)

    async def _switch_user(self, command: str, argument: str) -> None:
        user_id, _, name = argument.partition(" ")
        if not user_id.isdigit() or int(user_id) <= 0:
            self.say("* usage: /as <user id> [name]")
            return
        self.user = self.standin.user(int(user_id), name.strip() or None)
        if self.chat.is_private:
            self.chat = self.standin.state.directory.chats[self.user.id]
        where = "your private chat" if self.chat.is_private else self.chat.label
        self.say(f"* you are now {self.user.display_name} ({self.user.id}) in {where}")

    async def _switch_group(self, command: str, argument: str) -> None:
        group_id, _, title = argument.partition(" ")
        try:
            chat_id = int(group_id)
            self.chat = self.standin.group(chat_id, title.strip() or None)
        except ValueError:
            self.say("* usage: /group <negative id> [title]")
            return
        if self.chat.title is None:
            self.chat.title = f"Group {chat_id}"
        self.standin.set_member(self.chat, self.user, self.chat.members.get(self.user.id, "member"))
        self.say(f"* you are now in {self.chat.label} ({self.chat.type} {self.chat.id})")

    async def _private(self, command: str, argument: str) -> None:
        self.chat = self.standin.state.directory.chats[self.user.id]
        self.say(f"* back in your private chat with {self.standin.bot.display_name}")

    async def _press(self, command: str, argument: str) -> None:
        message = self.standin.last_message_with_buttons(self.chat)
        if message is None:
            self.say("* no message with buttons in this chat")
            return
        buttons = flat_buttons(message.buttons)
        if argument.isdigit() and 1 <= int(argument) <= len(buttons):
            button = buttons[int(argument) - 1]
        else:
            try:
                button = message.button(argument)
            except LookupError:
                self.say(f"* no button {argument!r}; the buttons are 1..{len(buttons)}")
                return
        if button.callback_data is None:
            self.say(f"* {button.text!r} opens {button.url or 'something'} outside the chat")
            return
        before = self.standin.mark()
        press = await self.standin.press_button(self.user, message, button.callback_data)
        self.own_seqs.add(press.seq)
        await self.settle(before)

    async def _send_file(self, command: str, argument: str) -> None:
        path = Path(argument)
        try:
            data = await asyncio.to_thread(lambda: path.expanduser().read_bytes())
        except OSError as error:
            self.say(f"* cannot read {path}: {error.strerror}")
            return
        before = self.standin.mark()
        chat = None if self.chat.is_private else self.chat
        if command == "/photo":
            sent = await self.standin.send_photo(self.user, data, path.name, chat=chat)
        else:
            sent = await self.standin.send_document(self.user, data, path.name, chat=chat)
        self.own_seqs.add(sent.seq)
        await self.settle(before)


async def run_terminal_chat(
    standin: TelegramStandIn,
    *,
    user_id: int = 1001,
    first_name: str = "You",
    username: str | None = None,
    stop_event: asyncio.Event | None = None,
    input_stream: TextIO | asyncio.StreamReader | None = None,
    output: TextIO | None = None,
    media_dir: str | os.PathLike[str] | None = None,
    ansi: bool | None = None,
    reply_timeout: float = 5.0,
    echo_input: bool | None = None,
    show_help: bool = True,
    api_url: str | None = None,
) -> None:
    """Chat with the bot behind ``standin`` until ``/quit``, end of input, or ``stop_event``.

    ``input_stream`` defaults to stdin, ``output`` to stdout; ``ansi`` (bold and the like)
    defaults to whether ``output`` is a terminal, ``echo_input`` (print typed lines back as
    ``You> ...``) to whether the input is not stdin. Photos and documents the bot sends are
    saved under ``media_dir`` (a new temporary directory by default). After each typed line
    the REPL waits up to ``reply_timeout`` seconds for the bot's reply before reading on.
    ``api_url``, when given, is shown in the banner (the service's HTTP API beside the chat).
    """
    out = output or sys.stdout
    source: _ThreadedLines | _ReaderLines
    if isinstance(input_stream, asyncio.StreamReader):
        source = _ReaderLines(input_stream)
    else:
        source = _ThreadedLines(input_stream or sys.stdin)
    user = standin.user(user_id, first_name, username)
    chat = TerminalChat(
        standin,
        user,
        out,
        ansi=out.isatty() if ansi is None else ansi,
        media_dir=Path(media_dir) if media_dir is not None else None,
        reply_timeout=reply_timeout,
        echo_input=input_stream is not None if echo_input is None else echo_input,
    )
    if show_help:
        chat.say(
            f"Chatting with {standin.bot.display_name} (@{standin.bot.username}) as "
            f"{user.display_name} ({user.id})."
        )
        if api_url is not None:
            chat.say(f"The HTTP API is at {api_url} (try {api_url}/healthz).")
        chat.say(HELP)
    stop = stop_event or asyncio.Event()
    printer = asyncio.create_task(chat.print_forever(), name="standin-terminal-printer")
    stopped = asyncio.create_task(stop.wait(), name="standin-terminal-stop")
    try:
        while True:
            reading = asyncio.create_task(source.readline())
            await asyncio.wait({reading, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not reading.done():
                reading.cancel()
                break
            line = reading.result()
            if not line or not await chat.handle(line):
                break
    finally:
        for task in (printer, stopped):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        chat.print_new_events()
