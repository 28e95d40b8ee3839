"""Per-request retries for the HTTP provider, as an aiohttp client middleware.

Retrying whole operations fails for composite ones (a listing is one GET plus a HEAD per file:
with a server that drops one request in three, some request of every attempt fails). Requests
whose body is a one-shot stream (uploads) are not replayed here; the provider retries those
whole, each attempt reopening the file.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

logger = logging.getLogger('synapse_sdk.storage')

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential, capped, jittered."""
    return float(min(0.1 * 2 ** (attempt - 1), 2.0) * (0.5 + random.random()))


def retry_middleware(retries: int) -> Any:
    import aiohttp
    from aiohttp import payload

    async def middleware(request: Any, handler: Any) -> Any:
        replayable = request.body is None or isinstance(request.body, (bytes, payload.BytesPayload))
        if not replayable or retries <= 0:
            return await handler(request)
        for attempt in range(1, retries + 2):
            last = attempt == retries + 1
            try:
                response = await handler(request)
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as error:
                if last:
                    raise
                reason = type(error).__name__
            else:
                if response.status not in TRANSIENT_STATUS or last:
                    return response
                reason = f'HTTP {response.status}'
                response.release()
            delay = backoff(attempt)
            logger.info(
                'http %s %s: %s, retry %d of %d in %.2fs',
                request.method,
                request.url.path,
                reason,
                attempt,
                retries,
                delay,
            )
            await asyncio.sleep(delay)
        raise AssertionError('unreachable')  # pragma: no cover

    return middleware
