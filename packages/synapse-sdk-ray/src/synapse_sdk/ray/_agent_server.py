"""A self-hostable Synapse agent: the agent REST API (survey 8.3) in front of a Ray cluster.

``synapse agent serve`` runs it. It proxies the Ray dashboard (jobs, logs, nodes, tasks) and tails
job logs over WebSocket or NDJSON HTTP streaming; every streamed message is JSON
``{"type": "log"|"complete"|"error"|"heartbeat", "message": ...}`` (an ``error`` may carry an
HTTP-like ``status``, 429 when a tail limit stopped it).

Closed by default (see :mod:`synapse_sdk.ray._agent_guard`): requests carry the token in
``Authorization`` (health checks excepted), foreign ``Origin`` and ``Host`` headers are refused,
ids are validated before they become part of a dashboard URL, and log tails are bounded.
Tails follow the dashboard's own WebSocket tail, so the log is read once, not on every poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import quote

from aiohttp import ClientSession, ClientTimeout, ClientWSTimeout, WSMsgType, WSServerHandshakeError, web

from synapse_sdk.clients._agent.limits import validate_resource_id
from synapse_sdk.core.errors import ClientError, ConfigError
from synapse_sdk.ray._agent_guard import RequestGuard, check_no_auth_host, new_token, token_matches
from synapse_sdk.ray._dashboard import TERMINAL, resolve_dashboard

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HEARTBEAT_SECONDS = 10.0
PUBLIC_PATHS = frozenset({'/health', '/health/'})
MAX_DASHBOARD_MESSAGE = 16 * 1024 * 1024
DASHBOARD_ADDRESS = web.AppKey('dashboard_address', str)


@dataclass(frozen=True)
class TailLimits:
    """Bounds of one log tail (bytes and lines forwarded, seconds open) and of open tails at once."""

    max_bytes: int = 100_000_000
    max_lines: int = 1_000_000
    max_seconds: float = 6 * 3600.0
    max_tails: int = 16

    def __post_init__(self) -> None:
        for name in ('max_bytes', 'max_lines', 'max_seconds', 'max_tails'):
            if not getattr(self, name) > 0:
                raise ConfigError(f'agent tail limit {name} must be a positive number')


class TailLimitExceeded(Exception):
    """A tail went over one of its :class:`TailLimits`; the message says which."""


class RayBackend:
    """Async access to the Ray dashboard's REST API."""

    def __init__(self, dashboard_address: str | None, *, timeout: float = 30.0) -> None:
        self.address = resolve_dashboard(dashboard_address)
        self.timeout = timeout
        self._session: ClientSession | None = None

    async def session(self) -> ClientSession:
        if self._session is None or self._session.closed:
            self._session = ClientSession(timeout=ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, path: str, **params: Any) -> tuple[int, Any]:
        session = await self.session()
        async with session.request(method, self.address + path, params=params or None) as response:
            text = await response.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = {'error': text[:500]}
            return response.status, body

    @staticmethod
    def job_path(job_id: str, suffix: str = '') -> str:
        """``/api/jobs/<id><suffix>``; the id is validated and fully quoted (no ``/`` survives)."""
        return f'/api/jobs/{quote(validate_resource_id(job_id), safe="")}{suffix}'

    async def job(self, job_id: str) -> tuple[int, Any]:
        return await self.call('GET', self.job_path(job_id))

    async def follow(self, job_id: str, limits: TailLimits) -> AsyncGenerator[tuple[str, str], None]:
        """``('log', line)`` for each new line, ``('heartbeat', '')`` while quiet, then ``('complete', status)``.

        Reads the dashboard's WebSocket tail (``/api/jobs/<id>/logs/tail``): each byte of the log
        crosses once. Raises :class:`TailLimitExceeded` when a limit is reached.
        """
        url = self.address.replace('http', 'ws', 1) + self.job_path(job_id, '/logs/tail')
        deadline = time.monotonic() + limits.max_seconds
        sent_bytes = sent_lines = 0
        pending = ''
        timeout = ClientTimeout(total=None, sock_connect=self.timeout)
        async with (
            ClientSession(timeout=timeout) as session,
            session.ws_connect(
                url, timeout=ClientWSTimeout(ws_close=5), heartbeat=None, max_msg_size=MAX_DASHBOARD_MESSAGE, compress=0
            ) as ws,
        ):
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TailLimitExceeded(
                        f'log tail stopped after {limits.max_seconds:g}s (agent --max-tail-seconds)'
                    )
                try:
                    msg = await asyncio.wait_for(ws.receive(), min(HEARTBEAT_SECONDS, left))
                except asyncio.TimeoutError:
                    if deadline - time.monotonic() > 0:
                        yield 'heartbeat', ''
                    continue
                if msg.type != WSMsgType.TEXT:
                    break  # the dashboard closes the tail once the job has ended and its log is drained
                *lines, pending = (pending + str(msg.data)).split('\n')
                if len(pending) > limits.max_bytes:
                    raise TailLimitExceeded(
                        f'log tail stopped: more than {limits.max_bytes} bytes (agent --max-tail-bytes)'
                    )
                for line in lines:
                    sent_lines += 1
                    sent_bytes += len(line.encode('utf-8')) + 1
                    if sent_lines > limits.max_lines:
                        raise TailLimitExceeded(
                            f'log tail stopped: more than {limits.max_lines} lines (agent --max-tail-lines)'
                        )
                    if sent_bytes > limits.max_bytes:
                        raise TailLimitExceeded(
                            f'log tail stopped: more than {limits.max_bytes} bytes (agent --max-tail-bytes)'
                        )
                    yield 'log', line
        if pending:
            yield 'log', pending
        _, info = await self.job(job_id)
        status = str((info or {}).get('status'))
        if status in TERMINAL:
            yield 'complete', status
        else:
            yield 'error', f'the Ray dashboard closed the log tail of job {job_id} while it is {status}'


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False, default=str))


def _error(status: int, message: str) -> web.Response:
    return _json({'error': message}, status=status)


def create_app(
    dashboard_address: str | None = None,
    *,
    token: str | None = None,
    no_auth: bool = False,
    websocket: bool = True,
    host: str = '127.0.0.1',
    allow_hosts: Iterable[str] = (),
    allow_origins: Iterable[str] = (),
    limits: TailLimits | None = None,
) -> web.Application:
    """The agent application. A ``token`` is required unless ``no_auth=True`` is explicit."""
    if not token and not no_auth:
        raise ConfigError('the agent needs a token (or an explicit no_auth=True for a loopback-only agent)')
    backend = RayBackend(dashboard_address)
    guard = RequestGuard.build(host, allow_hosts, allow_origins)
    tail_limits = limits or TailLimits()
    open_tails = 0

    @web.middleware
    async def checks(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not guard.host_allowed(request.headers.get('Host')):
            return _error(403, 'Host header not allowed (start the agent with --allow-host NAME to allow it)')
        if not guard.origin_allowed(request.headers.get('Origin'), request.headers.get('Host')):
            return _error(403, 'cross-origin request refused (start the agent with --allow-origin ORIGIN to allow it)')
        if token and request.path not in PUBLIC_PATHS:
            if not token_matches(request.headers.get('Authorization', ''), token):
                return _error(401, 'missing or wrong agent token: send the header "Authorization: <token>"')
        for name in ('job_id', 'node_id', 'task_id'):
            if name in request.match_info:
                try:
                    validate_resource_id(request.match_info[name], name.replace('_', ' '))
                except ClientError as error:
                    return _error(400, error.message)
        return await handler(request)

    async def proxy(method: str, path: str, **params: Any) -> web.Response:
        try:
            status, body = await backend.call(method, path, **params)
        except Exception as error:  # the dashboard is down or answered garbage
            return _error(503, f'Ray dashboard {backend.address} is unreachable: {type(error).__name__}')
        return _json(body, status=status)

    async def health(request: web.Request) -> web.Response:
        try:
            status, _ = await backend.call('GET', '/api/version')
            ray_ok = status == 200
        except Exception:
            ray_ok = False
        tails = {'open': open_tails, 'max': tail_limits.max_tails}
        return _json({'status': 'ok' if ray_ok else 'degraded', 'ray': {'reachable': ray_ok}, 'tails': tails})

    async def list_jobs(request: web.Request) -> web.Response:
        return await proxy('GET', '/api/jobs/')

    async def get_job(request: web.Request) -> web.Response:
        return await proxy('GET', backend.job_path(request.match_info['job_id']))

    async def job_logs(request: web.Request) -> web.Response:
        return await proxy('GET', backend.job_path(request.match_info['job_id'], '/logs'))

    async def stop_job(request: web.Request) -> web.Response:
        return await proxy('POST', backend.job_path(request.match_info['job_id'], '/stop'))

    async def state(path: str, one: str | None = None, **filters: Any) -> web.Response:
        """Ray's state API, unwrapped: a list of records, or one record (404 when absent)."""
        try:
            status, body = await backend.call('GET', path, limit=1000, **filters)
        except Exception as error:
            return _error(503, f'Ray dashboard {backend.address} is unreachable: {type(error).__name__}')
        if status != 200:
            return _json(body, status=status)
        records = list((((body or {}).get('data') or {}).get('result') or {}).get('result') or [])
        if one is None:
            return _json(records)
        return _json(records[0]) if records else _error(404, f'{one} not found')

    async def list_nodes(request: web.Request) -> web.Response:
        return await state('/api/v0/nodes')

    async def get_node(request: web.Request) -> web.Response:
        node_id = request.match_info['node_id']
        return await state(
            '/api/v0/nodes', f'node {node_id}', filter_keys='node_id', filter_predicates='=', filter_values=node_id
        )

    async def list_tasks(request: web.Request) -> web.Response:
        return await state('/api/v0/tasks')

    async def get_task(request: web.Request) -> web.Response:
        task_id = request.match_info['task_id']
        return await state(
            '/api/v0/tasks', f'task {task_id}', filter_keys='task_id', filter_predicates='=', filter_values=task_id
        )

    async def messages(job_id: str) -> AsyncGenerator[str, None]:
        """The framed messages of one tail; a limit ends it with an ``error`` of status 429."""
        try:
            async with contextlib.aclosing(backend.follow(job_id, tail_limits)) as stream:
                async for kind, message in stream:
                    yield json.dumps({'type': kind, 'message': message}, ensure_ascii=False)
        except TailLimitExceeded as limit:
            yield json.dumps({'type': 'error', 'message': str(limit), 'status': 429}, ensure_ascii=False)
        except WSServerHandshakeError as error:
            message = f'the Ray dashboard refused the log tail of job {job_id} ({error.status})'
            yield json.dumps({'type': 'error', 'message': message, 'status': 502})
        except Exception as error:
            yield json.dumps({'type': 'error', 'message': f'log tail failed: {type(error).__name__}', 'status': 502})

    async def tail(request: web.Request) -> web.StreamResponse:
        nonlocal open_tails
        job_id = request.match_info['job_id']
        if open_tails >= tail_limits.max_tails:
            return _error(429, f'too many log tails open ({tail_limits.max_tails}, agent --max-tails); try again later')
        upgrade = request.headers.get('Upgrade', '').lower() == 'websocket'
        if upgrade and not websocket:
            return _error(403, 'WebSocket log tailing is disabled on this agent; use HTTP streaming')
        open_tails += 1
        try:
            status, _ = await backend.job(job_id)
            if status == 404:
                return _error(404, f'job {job_id} not found')
            if upgrade:
                return await _websocket_tail(request, messages(job_id))
            return await _http_tail(request, messages(job_id))
        finally:
            open_tails -= 1

    async def on_cleanup(app: web.Application) -> None:
        await backend.close()

    app = web.Application(middlewares=[checks])
    app.router.add_get('/health/', health)
    app.router.add_get('/health', health)
    app.router.add_get('/ray/jobs/', list_jobs)
    app.router.add_get('/ray/jobs/{job_id}', get_job)
    app.router.add_get('/ray/jobs/{job_id}/logs', job_logs)
    app.router.add_get('/ray/jobs/{job_id}/logs/', tail)
    app.router.add_post('/ray/jobs/{job_id}/stop/', stop_job)
    app.router.add_post('/ray/jobs/{job_id}/stop', stop_job)
    app.router.add_get('/ray/nodes/', list_nodes)
    app.router.add_get('/ray/nodes/{node_id}', get_node)
    app.router.add_get('/ray/tasks/', list_tasks)
    app.router.add_get('/ray/tasks/{task_id}', get_task)
    app.on_cleanup.append(on_cleanup)
    app[DASHBOARD_ADDRESS] = backend.address
    return app


async def _websocket_tail(request: web.Request, stream: AsyncGenerator[str, None]) -> web.WebSocketResponse:
    """Pump ``stream`` into a WebSocket; stop as soon as the client goes away."""
    ws = web.WebSocketResponse(compress=False)  # log text on loopback/LAN: zlib would cost more than it saves
    await ws.prepare(request)

    async def pump() -> None:
        async with contextlib.aclosing(stream):
            async for text in stream:
                await ws.send_str(text)

    async def client_gone() -> None:
        async for _ in ws:  # the client sends nothing; this ends when it closes
            pass

    pumping, watching = asyncio.ensure_future(pump()), asyncio.ensure_future(client_gone())
    try:
        await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pumping, watching):
            task.cancel()
        await asyncio.gather(pumping, watching, return_exceptions=True)
        await ws.close()
    return ws


async def _http_tail(request: web.Request, stream: AsyncGenerator[str, None]) -> web.StreamResponse:
    response = web.StreamResponse(headers={'Content-Type': 'application/x-ndjson; charset=utf-8'})
    response.enable_chunked_encoding()
    await response.prepare(request)
    async with contextlib.aclosing(stream):
        async for text in stream:
            await response.write((text + '\n').encode('utf-8'))
    await response.write_eof()
    return response


def serve(
    host: str = '127.0.0.1',
    port: int = 8000,
    *,
    dashboard_address: str | None = None,
    token: str | None = None,
    no_auth: bool = False,
    websocket: bool = True,
    allow_hosts: Iterable[str] = (),
    allow_origins: Iterable[str] = (),
    limits: TailLimits | None = None,
    print_fn: Callable[[str], None] = print,
    token_stream: TextIO | None = None,
) -> None:
    """Serve until interrupted. Without ``token`` (and without ``no_auth``) a fresh one is made.

    A generated token is written once to ``token_stream`` (stderr), never logged.
    """
    generated = False
    if no_auth:
        check_no_auth_host(host)
        token = None
    elif not token:
        token, generated = new_token(), True
    app = create_app(
        dashboard_address,
        token=token,
        no_auth=no_auth,
        websocket=websocket,
        host=host,
        allow_hosts=allow_hosts,
        allow_origins=allow_origins,
        limits=limits,
    )
    print_fn(
        f'Synapse agent on http://{host}:{port} for Ray dashboard {app[DASHBOARD_ADDRESS]}'
        f' (auth: {"none, loopback only" if no_auth else "token"}, websocket: {"on" if websocket else "off"})'
    )
    if generated:
        out = token_stream or sys.stderr
        out.write(f'Generated agent token (shown once, never stored); send it as the header\nAuthorization: {token}\n')
        out.flush()
    web.run_app(app, host=host, port=port, print=None, access_log=None)
