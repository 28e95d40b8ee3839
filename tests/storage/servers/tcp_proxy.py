"""Forward a loopback port to another: killing this process is "the server went away".

usage: python tcp_proxy.py LISTEN_PORT TARGET_PORT [--die-after-bytes N]
With --die-after-bytes the process exits abruptly once N bytes went upstream (mid-upload).
"""

from __future__ import annotations

import argparse
import asyncio
import os

parser = argparse.ArgumentParser()
parser.add_argument('listen', type=int)
parser.add_argument('target', type=int)
parser.add_argument('--die-after-bytes', type=int, default=0)
args = parser.parse_args()
upstream_bytes = 0


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool) -> None:
    global upstream_bytes
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
            if upstream:
                upstream_bytes += len(data)
                if args.die_after_bytes and upstream_bytes >= args.die_after_bytes:
                    os._exit(0)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main() -> None:
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection('127.0.0.1', args.target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe(client_reader, server_writer, upstream=True), pipe(server_reader, client_writer, upstream=False)
        )

    server = await asyncio.start_server(handle, '127.0.0.1', args.listen)
    print('ready', flush=True)
    async with server:
        await server.serve_forever()


if __name__ == '__main__':
    asyncio.run(main())
