"""A self-hostable Synapse agent: the agent REST API (survey 8.3) in front of a Ray cluster.

``synapse agent serve`` runs it. It proxies the Ray dashboard (jobs, logs, nodes, tasks) and tails
job logs over WebSocket or NDJSON HTTP streaming; every streamed message is JSON
``{"type": "log"|"complete"|"error"|"heartbeat", "message": ...}``. When a token is configured,
requests must carry it in ``Authorization`` (health checks excepted).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import ClientSession, ClientTimeout, web

from synapse_sdk.ray.dashboard import TERMINAL, resolve_dashboard

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HEARTBEAT_SECONDS = 10.0


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

    async def job(self, job_id: str) -> tuple[int, Any]:
        return await self.call('GET', f'/api/jobs/{quote(job_id)}')

    async def logs(self, job_id: str) -> tuple[int, str]:
        status, body = await self.call('GET', f'/api/jobs/{quote(job_id)}/logs')
        return status, str((body or {}).get('logs', '')) if status == 200 else ''

    async def follow(self, job_id: str, poll_interval: float) -> AsyncIterator[tuple[str, str]]:
        """``('log', line)`` for each new line, ``('heartbeat', '')`` while quiet, then ``('complete', status)``."""
        sent = 0
        pending = ''
        quiet_since = time.monotonic()
        while True:
            status_code, info = await self.job(job_id)
            if status_code == 404:
                yield 'error', f'job {job_id} not found'
                return
            finished = str((info or {}).get('status')) in TERMINAL
            _, text = await self.logs(job_id)
            if len(text) < sent:
                sent = 0
            pending += text[sent:]
            sent = len(text)
            *lines, pending = pending.split('\n')
            for line in lines:
                yield 'log', line
            if lines:
                quiet_since = time.monotonic()
            if finished:
                if pending:
                    yield 'log', pending
                yield 'complete', str(info.get('status'))
                return
            if time.monotonic() - quiet_since > HEARTBEAT_SECONDS:
                quiet_since = time.monotonic()
                yield 'heartbeat', ''
            await asyncio.sleep(poll_interval)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False, default=str))


def _error(status: int, message: str) -> web.Response:
    return _json({'error': message}, status=status)


def create_app(
    dashboard_address: str | None = None,
    *,
    token: str | None = None,
    websocket: bool = True,
    poll_interval: float = 0.25,
) -> web.Application:
    backend = RayBackend(dashboard_address)

    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token and request.path not in ('/health', '/health/'):
            given = request.headers.get('Authorization', '')
            if given.startswith('Token '):
                given = given[len('Token ') :]
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _error(401, 'missing or wrong agent token in the Authorization header')
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
        return _json({'status': 'ok' if ray_ok else 'degraded', 'ray': {'reachable': ray_ok}})

    async def list_jobs(request: web.Request) -> web.Response:
        return await proxy('GET', '/api/jobs/')

    async def get_job(request: web.Request) -> web.Response:
        return await proxy('GET', f'/api/jobs/{quote(request.match_info["job_id"])}')

    async def job_logs(request: web.Request) -> web.Response:
        return await proxy('GET', f'/api/jobs/{quote(request.match_info["job_id"])}/logs')

    async def stop_job(request: web.Request) -> web.Response:
        return await proxy('POST', f'/api/jobs/{quote(request.match_info["job_id"])}/stop')

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

    async def tail(request: web.Request) -> web.StreamResponse:
        job_id = request.match_info['job_id']
        status, _ = await backend.job(job_id)
        if status == 404:
            return _error(404, f'job {job_id} not found')
        if request.headers.get('Upgrade', '').lower() == 'websocket':
            if not websocket:
                return _error(403, 'WebSocket log tailing is disabled on this agent; use HTTP streaming')
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            async for kind, message in backend.follow(job_id, poll_interval):
                if ws.closed:
                    break
                await ws.send_str(json.dumps({'type': kind, 'message': message}, ensure_ascii=False))
            await ws.close()
            return ws
        response = web.StreamResponse(headers={'Content-Type': 'application/x-ndjson; charset=utf-8'})
        response.enable_chunked_encoding()
        await response.prepare(request)
        async for kind, message in backend.follow(job_id, poll_interval):
            line = json.dumps({'type': kind, 'message': message}, ensure_ascii=False) + '\n'
            await response.write(line.encode('utf-8'))
        await response.write_eof()
        return response

    async def on_cleanup(app: web.Application) -> None:
        await backend.close()

    app = web.Application(middlewares=[auth])
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
    app['dashboard_address'] = backend.address
    return app


def serve(
    host: str = '127.0.0.1',
    port: int = 8000,
    *,
    dashboard_address: str | None = None,
    token: str | None = None,
    websocket: bool = True,
    print_fn: Callable[[str], None] = print,
) -> None:
    app = create_app(dashboard_address, token=token, websocket=websocket)
    print_fn(
        f'Synapse agent on http://{host}:{port} for Ray dashboard {app["dashboard_address"]}'
        f' (auth: {"token" if token else "none"}, websocket: {"on" if websocket else "off"})'
    )
    web.run_app(app, host=host, port=port, print=None, access_log=None)
