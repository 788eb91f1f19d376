"""python3-websockets echo server for the fuzzing client.

Usage: python_server.py deflate|none
Listens on 127.0.0.1 (a free port), prints {"port": N}, echoes every message with its type,
accepts any origin; stops when stdin ends.
"""

import asyncio
import json
import sys

import websockets

COMPRESSION = "deflate" if sys.argv[1] == "deflate" else None


async def echo(ws, path=None):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main():
    async with websockets.serve(
        echo,
        "127.0.0.1",
        0,
        compression=COMPRESSION,
        max_size=16 * 1024 * 1024,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"port": port}), flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
