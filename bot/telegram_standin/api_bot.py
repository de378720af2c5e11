"""Bot API methods about the bot itself, its commands, chats, members and files."""

from __future__ import annotations

from typing import Any

from bot.telegram_standin.directory import chat_member_json
from bot.telegram_standin.errors import bad_request
from bot.telegram_standin.params import ApiParams
from bot.telegram_standin.state import ApiMethod, StandInState


async def get_me(state: StandInState, params: ApiParams) -> Any:
    return {
        **state.bot.to_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": not state.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def set_my_commands(state: StandInState, params: ApiParams) -> Any:
    state.commands.set(
        params.get_json("commands"), params.get_json("scope"), params.get_str("language_code")
    )
    return True


async def get_my_commands(state: StandInState, params: ApiParams) -> Any:
    commands = state.commands.get(params.get_json("scope"), params.get_str("language_code"))
    return [{"command": name, "description": description} for name, description in commands]


async def delete_my_commands(state: StandInState, params: ApiParams) -> Any:
    state.commands.delete(params.get_json("scope"), params.get_str("language_code"))
    return True


async def set_chat_menu_button(state: StandInState, params: ApiParams) -> Any:
    # Recorded in the call log (chat_id, menu_button) like every call; nothing else to keep.
    params.get_json("menu_button")
    return True


async def get_chat(state: StandInState, params: ApiParams) -> Any:
    return state.directory.chat(params.get_chat_id()).full_info_json()


async def get_chat_member(state: StandInState, params: ApiParams) -> Any:
    chat = state.directory.chat(params.get_chat_id())
    user = state.directory.users.get(params.get_int("user_id", required=True) or 0)
    if user is None:
        raise bad_request("user not found")
    return chat_member_json(user, state.directory.member_status(chat, user))


async def get_file(state: StandInState, params: ApiParams) -> Any:
    stored = state.files.get(params.get_str("file_id", required=True) or "")
    if stored is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


async def close(state: StandInState, params: ApiParams) -> Any:
    return True


async def log_out(state: StandInState, params: ApiParams) -> Any:
    # After logOut Telegram refuses the token on the cloud Bot API, so every later call is 401.
    state.logged_out = True
    return True


METHODS: dict[str, ApiMethod] = {
    "getMe": get_me,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": set_chat_menu_button,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getFile": get_file,
    "close": close,
    "logOut": log_out,
}
