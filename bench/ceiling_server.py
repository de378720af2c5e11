"""The ceiling of the claim-rush benchmark: a trivial aiohttp JSON handler, served with the
same server settings as the API (one process, no access log), so the benchmark can tell
what the framework and the machine allow before any rule or database is involved."""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web

_BODY = b'{"id": 1, "voucher_id": 1, "buyer_id": "b", "status": "claimed"}'


async def claim(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=201, body=_BODY, content_type="application/json")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def serve(host: str, port: int) -> None:
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/v1/vouchers/{voucher_id}/claims", claim)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port, backlog=1024).start()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))
