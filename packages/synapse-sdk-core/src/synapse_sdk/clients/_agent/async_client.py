"""``AsyncAgentClient``: the agent's REST API and log tailing over WebSocket or HTTP streaming."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

from synapse_sdk.clients._agent.limits import (
    LimitTracker,
    StreamLimits,
    validate_protocol,
    validate_resource_id,
    validate_timeout,
)
from synapse_sdk.core.errors import ClientError, MissingDependencyError

INSTALL_HINT = 'pip install "synapse-sdk[ray]"'


def _aiohttp() -> Any:
    try:
        import aiohttp
    except ImportError:
        raise MissingDependencyError(
            f'The agent clients need aiohttp. Install it with: {INSTALL_HINT}',
            details={'module': 'aiohttp', 'extra': 'ray'},
        ) from None
    return aiohttp


class AsyncAgentClient:
    """``async with AsyncAgentClient(url, token) as agent: await agent.list_jobs()``."""

    def __init__(
        self,
        base_url: str,
        agent_token: str | None = None,
        *,
        user_token: str | None = None,
        tenant: str | None = None,
        timeout: float = 30.0,
        stream_limits: StreamLimits | None = None,
    ) -> None:
        self.base_url = base_url.rstrip('/') + '/'
        self._agent_token = agent_token
        self._user_token = user_token
        self._tenant = tenant
        self.timeout = timeout
        self.stream_limits = stream_limits or StreamLimits()
        self._session: Any = None

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.base_url!r})'

    # -- plumbing ------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {'Accept': 'application/json'}
        if self._agent_token:
            headers['Authorization'] = self._agent_token
        if self._user_token:
            headers['SYNAPSE-User'] = f'Token {self._user_token}'
        if self._tenant:
            headers['SYNAPSE-Tenant'] = f'Token {self._tenant}'
        return headers

    async def _get_session(self) -> Any:
        if self._session is None or self._session.closed:
            aiohttp = _aiohttp()
            self._session = aiohttp.ClientSession(headers=self._headers())
        return self._session

    def _url(self, path: str) -> str:
        return self.base_url + path.lstrip('/')

    async def _request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        aiohttp = _aiohttp()
        session = await self._get_session()
        try:
            async with session.request(
                method, self._url(path), params=params, timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as response:
                body = await response.text()
                if response.status >= 400:
                    raise ClientError(_error_text(response.status, body), status=response.status)
                return json.loads(body) if body else None
        except aiohttp.ClientConnectionError as error:
            raise ClientError(f'agent at {self.base_url} is unreachable: {error}', status=503) from None
        except asyncio.TimeoutError:
            raise ClientError(f'agent at {self.base_url} did not answer within {self.timeout:g}s', status=504) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> AsyncAgentClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- REST ------------------------------------------------------------------------------------
    async def health_check(self) -> Any:
        return await self._request('GET', 'health/')

    async def list_jobs(self) -> Any:
        return await self._request('GET', 'ray/jobs/')

    async def get_job(self, job_id: str) -> Any:
        return await self._request('GET', f'ray/jobs/{quote(validate_resource_id(job_id))}')

    async def get_job_logs(self, job_id: str) -> str:
        data = await self._request('GET', f'ray/jobs/{quote(validate_resource_id(job_id))}/logs')
        return str((data or {}).get('logs', ''))

    async def stop_job(self, job_id: str) -> Any:
        return await self._request('POST', f'ray/jobs/{quote(validate_resource_id(job_id))}/stop/')

    async def list_nodes(self) -> Any:
        return await self._request('GET', 'ray/nodes/')

    async def get_node(self, node_id: str) -> Any:
        return await self._request('GET', f'ray/nodes/{quote(validate_resource_id(node_id, "node id"))}')

    async def list_tasks(self) -> Any:
        return await self._request('GET', 'ray/tasks/')

    async def get_task(self, task_id: str) -> Any:
        return await self._request('GET', f'ray/tasks/{quote(validate_resource_id(task_id, "task id"))}')

    # -- log tailing -----------------------------------------------------------------------------
    def tail_job_logs(self, job_id: str, timeout: float | None = None, *, protocol: str = 'auto') -> AsyncIterator[str]:
        """Yield the job's log lines until it ends. ``protocol``: websocket | http | auto.

        ``auto`` uses the WebSocket and falls back to HTTP streaming when the agent refuses or
        cannot open one. ``timeout`` is the longest silence tolerated (``ClientError`` 504), not a
        silent stop.
        """
        validate_resource_id(job_id)
        validate_timeout(timeout)
        validate_protocol(protocol)
        if protocol == 'websocket':
            return self.websocket_tail_job_logs(job_id, timeout)
        if protocol == 'http':
            return self.stream_tail_job_logs(job_id, timeout)
        return self._auto_tail(job_id, timeout)

    async def _auto_tail(self, job_id: str, timeout: float | None) -> AsyncIterator[str]:
        stream = self.websocket_tail_job_logs(job_id, timeout)
        try:
            first = await stream.__anext__()
        except StopAsyncIteration:
            return
        except ClientError as error:
            if error.status not in (500, 501, 503, 403, 404, 426):
                raise
            if error.status == 404 and 'job' in error.message.lower():
                raise
            async for line in self.stream_tail_job_logs(job_id, timeout):
                yield line
            return
        yield first
        async for line in stream:
            yield line

    async def websocket_tail_job_logs(self, job_id: str, timeout: float | None = None) -> AsyncIterator[str]:
        aiohttp = _aiohttp()
        session = await self._get_session()
        url = self._url(f'ray/jobs/{quote(validate_resource_id(job_id))}/logs/')
        url = 'ws' + url[len('http') :] if url.startswith('http') else url
        tracker = LimitTracker(self.stream_limits)
        try:
            ws = await session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=self.timeout), heartbeat=None)
        except aiohttp.WSServerHandshakeError as error:
            # 401 (token) and 429 (too many tails) hold for HTTP streaming too: no fallback then.
            status = error.status if error.status in (401, 429) else 503
            raise ClientError(f'agent refused the WebSocket log tail ({error.status})', status=status) from None
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as error:
            raise ClientError(f'agent WebSocket at {url} is unreachable: {error}', status=503) from None
        async with ws:
            while True:
                try:
                    msg = await asyncio.wait_for(ws.receive(), timeout)
                except asyncio.TimeoutError:
                    raise ClientError(f'no log output from job {job_id} for {timeout:g}s', status=504) from None
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    raise ClientError(f'the agent closed the log tail of job {job_id} before it ended', status=502)
                if msg.type == aiohttp.WSMsgType.ERROR:
                    raise ClientError(f'WebSocket error while tailing job {job_id}: {ws.exception()}', status=502)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                complete, text = _interpret(msg.data, tracker)
                if complete:
                    return
                if text is not None:
                    yield text

    async def stream_tail_job_logs(self, job_id: str, timeout: float | None = None) -> AsyncIterator[str]:
        aiohttp = _aiohttp()
        session = await self._get_session()
        url = self._url(f'ray/jobs/{quote(validate_resource_id(job_id))}/logs/')
        tracker = LimitTracker(self.stream_limits)
        client_timeout = aiohttp.ClientTimeout(total=None, connect=self.timeout, sock_read=timeout)
        try:
            async with session.get(url, timeout=client_timeout, headers={'Accept': 'text/plain'}) as response:
                if response.status >= 400:
                    raise ClientError(_error_text(response.status, await response.text()), status=response.status)
                complete = False
                while True:
                    raw = await response.content.readline()
                    if not raw:
                        break
                    complete, text = _interpret(raw.decode('utf-8', 'replace').rstrip('\n'), tracker)
                    if complete:
                        break
                    if text is not None:
                        yield text
                if not complete:
                    raise ClientError(
                        f'the agent ended the log stream of job {job_id} before the job ended', status=502
                    )
        except aiohttp.ClientConnectionError as error:
            raise ClientError(f'agent at {self.base_url} is unreachable: {error}', status=503) from None
        except asyncio.TimeoutError:
            raise ClientError(f'no log output from job {job_id} for {timeout:g}s', status=504) from None


def _interpret(data: str, tracker: LimitTracker) -> tuple[bool, str | None]:
    """``(complete, line to yield)`` for one framed message, whichever transport carried it.

    An ``error`` raises :class:`ClientError`; a heartbeat, or a line past the tail limits, yields nothing.
    """
    kind, text, status = _decode_message(data)
    if kind == 'complete':
        return True, None
    if kind == 'error':
        raise ClientError(text, status=status)
    if kind == 'heartbeat' or not tracker.admit(text):
        return False, None
    return False, text


def _decode_message(data: str) -> tuple[str, str, int]:
    """``(type, message, status)`` of one framed message; text that is not our JSON is a plain log line.

    ``status`` is what an ``error`` carries (429: an agent tail limit stopped it), else 500.
    """
    try:
        payload = json.loads(data)
    except ValueError:
        return 'log', data, 500
    if isinstance(payload, dict) and 'type' in payload:
        status = payload.get('status')
        code = status if isinstance(status, int) and 400 <= status < 600 else 500
        return str(payload['type']), str(payload.get('message', '')), code
    return 'log', data, 500


def _error_text(status: int, body: str) -> str:
    try:
        payload = json.loads(body)
        if isinstance(payload, dict) and payload.get('error'):
            return f'agent answered {status}: {payload["error"]}'
    except ValueError:
        pass
    return f'agent answered {status}: {body[:300]}'
