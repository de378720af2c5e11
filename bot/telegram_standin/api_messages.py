"""Bot API methods that send, edit and delete messages, and answer button presses."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.telegram_standin.conversation_log import (
    BOT_DELETE,
    BOT_EDIT,
    BOT_MESSAGE,
    CALLBACK_ANSWER,
    CHAT_ACTION,
    CallbackAnswer,
)
from bot.telegram_standin.directory import TgChat
from bot.telegram_standin.errors import MESSAGE_NOT_MODIFIED, QUERY_TOO_OLD, bad_request
from bot.telegram_standin.files import StoredFile, image_size
from bot.telegram_standin.formatted_text import format_caption, format_message_text
from bot.telegram_standin.keyboards import ReplyMarkup, parse_reply_markup
from bot.telegram_standin.messages import MessageContent, RecordedMessage
from bot.telegram_standin.params import ApiParams, UploadedPart
from bot.telegram_standin.state import ApiMethod, OpenQuery, StandInState

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
CALLBACK_ANSWER_TEXT_LIMIT = 200


def _reply_target(state: StandInState, chat: TgChat, params: ApiParams) -> RecordedMessage | None:
    reply = params.get_json("reply_parameters")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = params.get_int("reply_to_message_id")
        allow_missing = params.get_bool("allow_sending_without_reply")
    if message_id is None:
        return None
    target = state.log.message(chat.id, int(message_id))
    if target is None or target.deleted:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return target


def _thread(chat: TgChat, params: ApiParams) -> int | None:
    """The forum topic a message goes to; Telegram refuses a topic in a chat without topics."""
    thread = params.get_int("message_thread_id")
    if thread is None:
        return None
    if not chat.is_forum:
        return None  # Telegram ignores it outside forums (in reply threads of groups)
    return thread


async def _post_message(
    state: StandInState, params: ApiParams, chat: TgChat, content: MessageContent, method: str
) -> dict[str, Any]:
    message = RecordedMessage(
        chat=chat,
        message_id=state.log.next_message_id(chat.id),
        sender=state.bot,
        date=state.now(),
        content=content,
        method=method,
        reply_to=_reply_target(state, chat, params),
        thread_id=_thread(chat, params),
    )
    state.log.store(message)
    await state.log.add_event(BOT_MESSAGE, chat, message=message)
    return message.to_json()


async def send_message(state: StandInState, params: ApiParams) -> Any:
    chat = state.directory.writable_chat(params.get_chat_id())
    text, parse_mode = params.get_str("text"), params.get_str("parse_mode")
    formatted = format_message_text(text, parse_mode, params.get_json("entities"))
    content = MessageContent(
        text=text,
        parse_mode=parse_mode,
        plain_text=formatted.text,
        entities=tuple(formatted.entities),
        markup=parse_reply_markup(params.get_json("reply_markup")),
    )
    return await _post_message(state, params, chat, content, "sendMessage")


def _store_upload(state: StandInState, kind: str, upload: UploadedPart | str) -> StoredFile:
    if isinstance(upload, UploadedPart):
        if not upload.data:
            raise bad_request("file must be non-empty")
        if kind == "photo" and image_size(upload.data) is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        return state.files.add(kind, upload.data, upload.filename, upload.mime_type)
    known = state.files.get(upload)
    if known is not None:
        if known.kind == kind:
            return known
        return state.files.add(kind, known.data, known.filename, known.mime_type)
    if upload.startswith(("http://", "https://")):
        # No network here: the URL is recorded, without bytes.
        name = upload.rstrip("/").rsplit("/", 1)[-1] or kind
        return state.files.add(kind, b"", name, url=upload)
    raise bad_request("wrong file identifier/HTTP URL specified")


async def _send_file(state: StandInState, params: ApiParams, kind: str, method: str) -> Any:
    chat = state.directory.writable_chat(params.get_chat_id())
    upload = params.get_upload(kind)
    if upload is None:
        raise bad_request(f"there is no {kind} in the request")
    stored = _store_upload(state, kind, upload)
    caption, parse_mode = params.get_str("caption"), params.get_str("parse_mode")
    formatted = format_caption(caption, parse_mode, params.get_json("caption_entities"))
    content = MessageContent(
        text=caption,
        parse_mode=parse_mode,
        plain_text=formatted.text if formatted else None,
        entities=tuple(formatted.entities) if formatted else (),
        markup=parse_reply_markup(params.get_json("reply_markup")),
        file=stored,
    )
    return await _post_message(state, params, chat, content, method)


async def send_photo(state: StandInState, params: ApiParams) -> Any:
    return await _send_file(state, params, "photo", "sendPhoto")


async def send_document(state: StandInState, params: ApiParams) -> Any:
    return await _send_file(state, params, "document", "sendDocument")


def _message_to_edit(state: StandInState, params: ApiParams) -> RecordedMessage:
    if params.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline mode is not modelled
    chat = state.directory.writable_chat(params.get_chat_id())
    message = state.log.message(chat.id, params.get_int("message_id", required=True) or 0)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _inline_markup(params: ApiParams) -> ReplyMarkup | None:
    markup = parse_reply_markup(params.get_json("reply_markup"))
    if markup is not None and not markup.inline:
        raise bad_request("inline keyboard expected")
    return markup


async def _apply_edit(state: StandInState, message: RecordedMessage, new: MessageContent) -> Any:
    if new.same_as(message.content):
        raise bad_request(MESSAGE_NOT_MODIFIED)
    message.history.append(message.content)
    message.content = new
    message.edit_date = state.now()
    await state.log.add_event(BOT_EDIT, message.chat, message=message)
    return message.to_json()


async def edit_message_text(state: StandInState, params: ApiParams) -> Any:
    message = _message_to_edit(state, params)
    if message.file is not None:
        raise bad_request("there is no text in the message to edit")
    text, parse_mode = params.get_str("text"), params.get_str("parse_mode")
    formatted = format_message_text(text, parse_mode, params.get_json("entities"))
    # Without reply_markup Telegram removes the inline keyboard: a classic surprise.
    new = MessageContent(
        text=text,
        parse_mode=parse_mode,
        plain_text=formatted.text,
        entities=tuple(formatted.entities),
        markup=_inline_markup(params),
    )
    return await _apply_edit(state, message, new)


async def edit_message_caption(state: StandInState, params: ApiParams) -> Any:
    message = _message_to_edit(state, params)
    if message.file is None:
        raise bad_request("there is no caption in the message to edit")
    caption, parse_mode = params.get_str("caption"), params.get_str("parse_mode")
    formatted = format_caption(caption, parse_mode, params.get_json("caption_entities"))
    new = replace(
        message.content,
        text=caption,
        parse_mode=parse_mode,
        plain_text=formatted.text if formatted else None,
        entities=tuple(formatted.entities) if formatted else (),
        markup=_inline_markup(params),
    )
    return await _apply_edit(state, message, new)


async def edit_message_reply_markup(state: StandInState, params: ApiParams) -> Any:
    message = _message_to_edit(state, params)
    new = replace(message.content, markup=_inline_markup(params))
    return await _apply_edit(state, message, new)


async def delete_message(state: StandInState, params: ApiParams) -> Any:
    chat = state.directory.chat(params.get_chat_id())
    message = state.log.message(chat.id, params.get_int("message_id", required=True) or 0)
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    bot_is_admin = chat.is_private or chat.bot_status == "administrator"
    if not message.from_bot and not bot_is_admin:
        raise bad_request("message can't be deleted")
    message.deleted = True
    await state.log.add_event(BOT_DELETE, chat, message=message)
    return True


async def send_chat_action(state: StandInState, params: ApiParams) -> Any:
    chat = state.directory.writable_chat(params.get_chat_id())
    action = params.get_str("action", required=True)
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    await state.log.add_event(CHAT_ACTION, chat, detail=action)
    return True


async def answer_callback_query(state: StandInState, params: ApiParams) -> Any:
    query_id = params.get_str("callback_query_id", required=True) or ""
    text = params.get_str("text")
    if text is not None and len(text) > CALLBACK_ANSWER_TEXT_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    query: OpenQuery | None = state.open_queries.pop(query_id, None)
    if query is None:
        raise bad_request(QUERY_TOO_OLD)
    answer = CallbackAnswer(
        query_id=query_id,
        chat_id=query.chat.id,
        message_id=query.message_id,
        data=query.data,
        text=text,
        show_alert=params.get_bool("show_alert"),
        url=params.get_str("url"),
    )
    await state.log.add_event(CALLBACK_ANSWER, query.chat, answer=answer, detail=text)
    return True


METHODS: dict[str, ApiMethod] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
}
