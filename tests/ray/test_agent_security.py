"""The agent is closed by default: token, Origin/Host checks, strict job ids, bounded incremental tails.

Every agent here is a real ``synapse agent serve`` process in front of the session's real Ray
head. Between them sits a loopback HTTP/WebSocket proxy posing as the dashboard: it forwards
everything to the real dashboard and records each path asked for and the bytes served, so the
tests can see which dashboard paths the agent reached and how much log it pulled.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from synapse_sdk.clients._agent import AgentClient, AsyncAgentClient, StreamLimits
from synapse_sdk.core.errors import ClientError
from synapse_sdk.ray.testing import LocalHead, free_port

TOKEN = 'agent-security-token-for-tests'
BIG_LINES, BIG_WIDTH = 2000, 10_000  # a 20 MB log
BIG_JOB = (
    'python -c "import time; '
    f"[print(str(i).zfill(6) + 'x' * {BIG_WIDTH - 6}, flush=True) for i in range({BIG_LINES})]; "
    "print('big-done', flush=True); time.sleep(120)\""
)
CHATTY_JOB = 'python -c "import time; [print(\'chat\', i, flush=True) for i in range(50)]; time.sleep(120)"'
SLEEP_JOB = 'python -c "import time; print(\'sleeping\', flush=True); time.sleep(120)"'


# --------------------------------------------------------------------------- the counting dashboard proxy
@dataclass
class DashboardProxy:
    target: str
    url: str = ''
    paths: list[str] = field(default_factory=list)
    served: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def log_bytes(self, job_id: str) -> int:
        return sum(n for path, n in self.served.items() if path.startswith(f'/api/jobs/{job_id}/logs'))


def _proxy_app(proxy: DashboardProxy) -> web.Application:
    async def forward(request: web.Request) -> web.StreamResponse:
        path = request.raw_path
        proxy.paths.append(path)
        url = proxy.target + path
        async with aiohttp.ClientSession() as session:
            if request.headers.get('Upgrade', '').lower() == 'websocket':
                async with session.ws_connect(url, max_msg_size=0, compress=0) as upstream:
                    ws = web.WebSocketResponse(max_msg_size=0, compress=False)
                    await ws.prepare(request)
                    async for msg in upstream:
                        if msg.type != aiohttp.WSMsgType.TEXT or ws.closed:
                            break
                        proxy.served[request.path] += len(msg.data.encode())
                        await ws.send_str(msg.data)
                    await ws.close()
                    return ws
            async with session.request(request.method, url, data=await request.read()) as upstream:
                body = await upstream.read()
                proxy.served[request.path] += len(body)
                return web.Response(body=body, status=upstream.status, content_type=upstream.content_type)

    app = web.Application()
    app.router.add_route('*', '/{tail:.*}', forward)
    return app


@pytest.fixture(scope='module')
def dashboard_proxy(ray_head: LocalHead) -> Iterator[DashboardProxy]:
    proxy = DashboardProxy(ray_head.dashboard_address.rstrip('/'))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(_proxy_app(proxy), access_log=None)
    port = free_port()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, '127.0.0.1', port).start()

    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    proxy.url = f'http://127.0.0.1:{port}'
    yield proxy
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


# --------------------------------------------------------------------------- agents and jobs
@dataclass
class Agent:
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    stderr: str = ''


def _start_agent(dashboard: str, *extra: str, token: str | None = TOKEN, read_stderr: bool = False) -> Agent:
    port = free_port()
    synapse = Path(sys.executable).with_name('synapse')
    env = {k: v for k, v in os.environ.items() if k != 'SYNAPSE_AGENT_TOKEN'}
    if token:
        env['SYNAPSE_AGENT_TOKEN'] = token
    proc = subprocess.Popen(
        [str(synapse), 'agent', 'serve', '--port', str(port), '--dashboard-address', dashboard, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if read_stderr else subprocess.DEVNULL,
    )
    agent = Agent(proc, f'http://127.0.0.1:{port}/', port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(agent.url + 'health/', timeout=2):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError('synapse agent serve exited early') from None
            time.sleep(0.2)
    else:
        proc.terminate()
        raise RuntimeError('synapse agent serve did not start')
    if read_stderr:
        assert proc.stderr is not None
        os.set_blocking(proc.stderr.fileno(), False)
        agent.stderr = (proc.stderr.read() or b'').decode()
    return agent


def _wait_idle(agent: Agent) -> None:
    """Until the agent has no log tail open (the previous test's tail has been torn down)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with urllib.request.urlopen(agent.url + 'health/', timeout=5) as response:
            if json.load(response)['tails']['open'] == 0:
                return
        time.sleep(0.1)
    raise AssertionError('a log tail stayed open')


def _job_status(ray_head: LocalHead, job_id: str) -> str:
    with urllib.request.urlopen(f'{ray_head.dashboard_address.rstrip("/")}/api/jobs/{job_id}', timeout=10) as r:
        return str(json.load(r)['status'])


@pytest.fixture(scope='module')
def jobs(ray_head: LocalHead) -> Iterator[dict[str, str]]:
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(ray_head.dashboard_address)
    ids = {
        'big': client.submit_job(entrypoint=BIG_JOB),
        'chatty': client.submit_job(entrypoint=CHATTY_JOB),
        'sleep': client.submit_job(entrypoint=SLEEP_JOB),
    }
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and any(_job_status(ray_head, j) != 'RUNNING' for j in ids.values()):
        time.sleep(0.2)
    yield ids
    for job_id in ids.values():
        try:
            client.stop_job(job_id)
        except Exception:
            pass


@pytest.fixture(scope='module')
def agents(dashboard_proxy: DashboardProxy) -> Iterator[dict[str, Agent]]:
    started = {
        'token': _start_agent(dashboard_proxy.url),
        'open': _start_agent(
            dashboard_proxy.url,
            '--no-auth',
            '--allow-host',
            'agent.internal',
            '--allow-origin',
            'https://app.example.com',
            token=None,
        ),
        'limited': _start_agent(
            dashboard_proxy.url,
            *('--max-tail-bytes', '30000', '--max-tail-lines', '5', '--max-tail-seconds', '3', '--max-tails', '1'),
        ),
    }
    yield started
    for agent in started.values():
        agent.proc.terminate()
        agent.proc.wait(timeout=20)


def _request(agent: Agent, method: str, path: str, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection('127.0.0.1', agent.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True)
        headers.setdefault('Host', f'127.0.0.1:{agent.port}')
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


# --------------------------------------------------------------------------- token
def test_without_a_token_the_agent_makes_one_shows_it_once_and_requires_it(dashboard_proxy: DashboardProxy) -> None:
    agent = _start_agent(dashboard_proxy.url, token=None, read_stderr=True)
    try:
        assert agent.stderr.count('Authorization: ') == 1
        token = agent.stderr.split('Authorization: ', 1)[1].split()[0]
        assert len(token) >= 40 and agent.stderr.count(token) == 1
        assert _request(agent, 'GET', '/ray/jobs/', {}) == 401
        assert _request(agent, 'GET', '/ray/jobs/', {'Authorization': 'not-it'}) == 401
        assert _request(agent, 'GET', '/ray/jobs/', {'Authorization': token}) == 200
        assert _request(agent, 'GET', '/ray/jobs/', {'Authorization': f'Token {token}'}) == 200
        with AgentClient(agent.url, token) as client:
            assert isinstance(client.list_jobs(), list)
    finally:
        agent.proc.terminate()
        agent.proc.wait(timeout=20)
    banner = (agent.proc.stdout.read() if agent.proc.stdout else b'').decode()
    assert 'auth: token' in banner and token not in banner  # stdout (often logged) never holds it


def test_no_auth_refuses_to_serve_beyond_loopback(ray_head: LocalHead) -> None:
    synapse = Path(sys.executable).with_name('synapse')
    command = [str(synapse), 'agent', 'serve', '--no-auth', '--host', '0.0.0.0', '--port', str(free_port())]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: --no-auth serves on loopback only, not on '0.0.0.0': drop --host or give a --token"
    ]


def test_the_app_itself_needs_a_token_or_an_explicit_no_auth() -> None:
    from synapse_sdk.core.errors import ConfigError
    from synapse_sdk.ray._agent_server import create_app

    with pytest.raises(ConfigError, match='needs a token'):
        create_app('http://127.0.0.1:8265')
    create_app('http://127.0.0.1:8265', no_auth=True)


# --------------------------------------------------------------------------- Origin and Host
def test_a_foreign_origin_cannot_stop_a_job_or_open_a_tail(
    agents: dict[str, Agent], jobs: dict[str, str], ray_head: LocalHead
) -> None:
    agent = agents['open']  # even with no token at all
    stop = f'/ray/jobs/{jobs["sleep"]}/stop/'
    assert _request(agent, 'POST', stop, {'Origin': 'https://evil.example'}) == 403
    assert _request(agent, 'POST', stop, {'Origin': 'null'}) == 403
    assert _request(agent, 'POST', stop, {'Origin': f'http://127.0.0.1:{agent.port + 1}'}) == 403
    assert _job_status(ray_head, jobs['sleep']) == 'RUNNING'
    assert _request(agent, 'GET', '/ray/jobs/', {'Origin': f'http://127.0.0.1:{agent.port}'}) == 200  # its own page
    assert _request(agent, 'GET', '/ray/jobs/', {'Origin': 'https://app.example.com'}) == 200  # --allow-origin

    async def upgrade(origin: str | None) -> int:
        async with aiohttp.ClientSession() as session:
            try:
                ws = await session.ws_connect(f'{agent.url}ray/jobs/{jobs["sleep"]}/logs/', origin=origin)
            except aiohttp.WSServerHandshakeError as error:
                return error.status
            await ws.close()
            return 101

    assert asyncio.run(upgrade('https://evil.example')) == 403
    assert asyncio.run(upgrade(None)) == 101
    _wait_idle(agent)


def test_a_foreign_host_is_refused_against_dns_rebinding(agents: dict[str, Agent]) -> None:
    agent = agents['open']
    assert _request(agent, 'GET', '/ray/jobs/', {'Host': f'evil.example:{agent.port}'}) == 403
    assert _request(agent, 'GET', '/ray/jobs/', {'Host': 'rebind.attacker.test'}) == 403
    assert _request(agent, 'GET', '/health/', {'Host': 'rebind.attacker.test'}) == 403
    assert _request(agent, 'GET', '/ray/jobs/', {'Host': f'localhost:{agent.port}'}) == 200
    assert _request(agent, 'GET', '/ray/jobs/', {'Host': f'agent.internal:{agent.port}'}) == 200  # --allow-host


# --------------------------------------------------------------------------- job ids
@pytest.mark.parametrize(
    ('method', 'path'),
    [
        ('GET', '/ray/jobs/..%2F..%2Fcanary'),
        ('GET', '/ray/jobs/..%2F..%2Fcanary/logs'),
        ('GET', '/ray/jobs/..%2F..%2Fcanary/logs/'),
        ('POST', '/ray/jobs/..%2F..%2Fcanary/stop/'),
        ('GET', '/ray/jobs/%2E%2E%2F%2E%2E%2Fcanary'),
        ('GET', '/ray/jobs/..%252F..%252Fcanary'),
        ('GET', '/ray/jobs/x%0Acanary'),
        ('GET', '/ray/jobs/..'),
    ],
)
def test_a_traversal_job_id_never_reaches_another_dashboard_path(
    agents: dict[str, Agent], dashboard_proxy: DashboardProxy, method: str, path: str
) -> None:
    seen = len(dashboard_proxy.paths)
    status = _request(agents['token'], method, path, {'Authorization': TOKEN})
    assert status in (400, 404) if path.endswith('/..') else status == 400
    reached = dashboard_proxy.paths[seen:]
    assert not any('canary' in p.lower() or not p.startswith('/api/') for p in reached), reached


# --------------------------------------------------------------------------- tails
def test_a_tail_pulls_a_20_mb_log_once_not_on_every_poll(
    agents: dict[str, Agent], jobs: dict[str, str], dashboard_proxy: DashboardProxy
) -> None:
    size = BIG_LINES * (BIG_WIDTH + 1)
    received: list[str] = []
    started = time.monotonic()

    async def scenario() -> None:
        async with AsyncAgentClient(agents['token'].url, TOKEN, stream_limits=StreamLimits(max_bytes=10**9)) as client:
            with pytest.raises(ClientError) as quiet:  # the job keeps running: 3 s of silence ends the test
                async for line in client.tail_job_logs(jobs['big'], timeout=3, protocol='websocket'):
                    received.append(line)
            assert quiet.value.status == 504

    asyncio.run(scenario())
    big = [line for line in received if len(line) == BIG_WIDTH]
    odd = [(len(line), line[:12]) for line in received if len(line) != BIG_WIDTH][:8]
    numbers = [line[:6] for line in big]
    assert numbers == [str(i).zfill(6) for i in range(BIG_LINES)], odd  # every line, in order, once
    pulled = dashboard_proxy.log_bytes(jobs['big'])
    elapsed = time.monotonic() - started
    print(f'tail of a {size / 1e6:.1f} MB log over {elapsed:.1f}s pulled {pulled / 1e6:.1f} MB from the dashboard')
    assert size <= pulled < 1.2 * size


def test_byte_and_line_limits_stop_a_tail_with_429(agents: dict[str, Agent], jobs: dict[str, str]) -> None:
    agent = agents['limited']
    for protocol in ('websocket', 'http'):
        _wait_idle(agent)
        received: list[str] = []
        with AgentClient(agent.url, TOKEN) as client, pytest.raises(ClientError) as caught:
            for line in client.tail_job_logs(jobs['big'], protocol=protocol):
                received.append(line)
        assert caught.value.status == 429 and '--max-tail-bytes' in caught.value.message
        assert sum(len(line) + 1 for line in received) <= 30_000
        _wait_idle(agent)
        with AgentClient(agent.url, TOKEN) as client, pytest.raises(ClientError) as caught:
            received = list(client.tail_job_logs(jobs['chatty'], protocol=protocol))
        assert caught.value.status == 429 and '--max-tail-lines' in caught.value.message


def test_duration_and_concurrent_tail_limits(agents: dict[str, Agent], jobs: dict[str, str]) -> None:
    agent = agents['limited']
    _wait_idle(agent)

    async def scenario() -> tuple[ClientError, ClientError, ClientError, float]:
        async with AsyncAgentClient(agent.url, TOKEN) as client:
            lines: list[str] = []

            async def first_tail() -> None:
                async for line in client.tail_job_logs(jobs['sleep'], protocol='websocket'):
                    lines.append(line)

            started = time.monotonic()
            first = asyncio.ensure_future(first_tail())
            while not lines:
                await asyncio.sleep(0.05)
            errors = []
            for protocol in ('websocket', 'http'):  # the one slot is taken
                try:
                    async for _ in client.tail_job_logs(jobs['chatty'], protocol=protocol):
                        pass
                except ClientError as error:
                    errors.append(error)
            try:
                await first
            except ClientError as error:
                return errors[0], errors[1], error, time.monotonic() - started
            raise AssertionError('the tail was not stopped')

    ws_refused, http_refused, timed_out, elapsed = asyncio.run(scenario())
    assert ws_refused.status == 429 and http_refused.status == 429
    assert '--max-tails' in http_refused.message
    assert timed_out.status == 429 and '--max-tail-seconds' in timed_out.message
    assert 2.5 < elapsed < 15
