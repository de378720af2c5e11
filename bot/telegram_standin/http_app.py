"""The aiohttp application: /bot<token>/<method> for the Bot API, /file/bot<token>/<path> for
downloads, with token checks, failure injection and the call log around every method."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from aiohttp import web

from bot.telegram_standin import api_bot, api_messages, api_updates
from bot.telegram_standin.errors import NOT_FOUND, UNAUTHORIZED, ApiError
from bot.telegram_standin.failures import FailureRule
from bot.telegram_standin.params import ApiParams
from bot.telegram_standin.state import ApiCall, ApiMethod, Described, StandInState

_LOGGER = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 60 * 1024 * 1024  # Telegram takes documents up to 50 MB
# Method names are case-insensitive on Telegram: keyed by lower case, with the canonical name.
METHODS: dict[str, tuple[str, ApiMethod]] = {
    name.lower(): (name, method)
    for table in (api_bot.METHODS, api_messages.METHODS, api_updates.METHODS)
    for name, method in table.items()
}


def _ok(result: Any) -> web.Response:
    body: dict[str, Any] = {"ok": True}
    if isinstance(result, Described):
        body["result"] = result.result
        body["description"] = result.description
    else:
        body["result"] = result
    return web.json_response(body)


def _error(error: ApiError) -> web.Response:
    if error.html_body is not None:
        return web.Response(text=error.html_body, status=error.status, content_type="text/html")
    return web.json_response(error.body(), status=error.status)


async def _run(
    state: StandInState, method: ApiMethod, params: ApiParams, rule: FailureRule | None
) -> Any:
    if rule is None:
        return await method(state, params)
    if rule.apply_first:
        result = await method(state, params)
        await state.pause(rule.delay)
        if rule.error is not None:
            raise rule.error
        return result
    await state.pause(rule.delay)
    if rule.error is not None:
        raise rule.error
    return await method(state, params)


async def handle_api(state: StandInState, request: web.Request) -> web.Response:
    if request.match_info["token"] != state.token or state.logged_out:
        return _error(UNAUTHORIZED)
    entry = METHODS.get(request.match_info["method"].lower())
    if entry is None:
        return _error(NOT_FOUND)
    name, method = entry
    state.calls[name] += 1
    await state.log.notify()  # a test may wait for a call to begin (a long poll, a hang)
    params = ApiParams({})
    try:
        params = await ApiParams.from_request(request)
        result = await _run(state, method, params, state.failures.take(name))
    except ApiError as error:
        call, response = (
            ApiCall(name, params.as_dict(), error.status, error.description),
            _error(error),
        )
    except Exception as error:
        # A bug in the stand-in: answer like Telegram's 500 and keep it for tests to see.
        _LOGGER.exception("telegram stand-in failed on %s", name)
        state.internal_errors.append(error)
        call = ApiCall(name, params.as_dict(), 500, repr(error))
        response = _error(ApiError(500, "Internal Server Error"))
    else:
        call, response = ApiCall(name, params.as_dict(), 200), _ok(result)
    state.call_log.append(call)
    await state.log.notify()  # counters and logs changed: wake wait_for() callers
    return response


async def handle_file(state: StandInState, request: web.Request) -> web.Response:
    if request.match_info["token"] != state.token:
        return _error(UNAUTHORIZED)
    stored = state.files.by_path(request.match_info["path"])
    if stored is None:
        return _error(NOT_FOUND)
    return web.Response(body=stored.data, content_type=stored.mime_type)


def build_app(state: StandInState) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    app.router.add_route("*", "/bot{token}/{method}", partial(handle_api, state))
    app.router.add_get("/file/bot{token}/{path:.+}", partial(handle_file, state))
    return app
