"""The self-hosted agent (`synapse agent serve`, a real process) and its sync/async clients."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._agent import AgentClient, AsyncAgentClient, StreamLimits
from synapse_sdk.core.errors import ClientError
from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
from synapse_sdk.ray.testing import LocalHead, free_port

TOKEN = 'agent-token-for-tests'


def _start_agent(ray_head: LocalHead, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    synapse = Path(sys.executable).with_name('synapse')
    proc = subprocess.Popen(
        [
            str(synapse),
            'agent',
            'serve',
            '--port',
            str(port),
            '--dashboard-address',
            ray_head.dashboard_address,
            *extra,
        ],
        env={**os.environ, 'SYNAPSE_AGENT_TOKEN': TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f'http://127.0.0.1:{port}/'
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + 'health/', timeout=2):
                return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError('synapse agent serve exited early') from None
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError('synapse agent serve did not start')


@pytest.fixture(scope='module')
def agents(ray_head: LocalHead, echo_plugin: Path) -> Iterator[dict[str, Any]]:
    executor = RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address, working_dir=echo_plugin, language='ko')
    greet = executor.submit('echo_plugin.actions:greet', {'name': 'agent'})
    sleeper = executor.submit('echo_plugin.actions:sleep', {'seconds': 120})
    full, full_url = _start_agent(ray_head)
    no_ws, no_ws_url = _start_agent(ray_head, '--no-websocket')
    try:
        yield {'url': full_url, 'no_ws_url': no_ws_url, 'greet': greet, 'sleep': sleeper, 'executor': executor}
    finally:
        for proc in (full, no_ws):
            proc.terminate()
            proc.wait(timeout=20)


def test_jobs_list_get_logs_and_token_required(agents):
    with AgentClient(agents['url'], TOKEN) as client:
        assert client.health_check()['status'] == 'ok'
        ids = {job['submission_id'] for job in client.list_jobs()}
        assert {agents['greet'], agents['sleep']} <= ids
        assert client.get_job(agents['greet'])['submission_id'] == agents['greet']
        nodes = client.list_nodes()
        assert any(node['state'] == 'ALIVE' for node in nodes)
        assert client.get_node(nodes[0]['node_id'])['node_id'] == nodes[0]['node_id']
        assert isinstance(client.list_tasks(), list)
    with AgentClient(agents['url'], 'wrong-token') as intruder, pytest.raises(ClientError) as caught:
        intruder.list_jobs()
    assert caught.value.status == 401
    with AgentClient(agents['url'], TOKEN) as client, pytest.raises(ClientError) as bad_id:
        client.get_job('../../etc/passwd')
    assert bad_id.value.status == 400


@pytest.mark.parametrize('protocol', ['websocket', 'http'])
def test_tail_streams_every_line_until_the_job_ends(agents, protocol: str):
    with AgentClient(agents['url'], TOKEN) as client:
        lines = list(client.tail_job_logs(agents['greet'], protocol=protocol))
        assert any('안녕하세요 agent' in line for line in lines)
        assert any('플러그인 실행이 완료되었습니다' in line for line in lines)  # the last event is there
        assert client.get_job(agents['greet'])['status'] == 'SUCCEEDED'
        assert '안녕하세요 agent' in client.get_job_logs(agents['greet'])


def test_auto_falls_back_to_http_when_websocket_is_refused(agents):
    with AgentClient(agents['no_ws_url'], TOKEN) as client:
        with pytest.raises(ClientError) as refused:
            list(client.tail_job_logs(agents['greet'], protocol='websocket'))
        assert refused.value.status == 503
        lines = list(client.tail_job_logs(agents['greet'], protocol='auto'))
        assert any('안녕하세요 agent' in line for line in lines)


@pytest.mark.parametrize(
    ('protocol', 'limits'),
    [
        ('http', StreamLimits(max_lines=2)),
        ('websocket', StreamLimits(max_bytes=40)),
        ('http', StreamLimits(max_bytes=40)),
    ],
)
def test_line_and_byte_limits_stop_the_tail_with_429(agents, protocol: str, limits: StreamLimits):
    with AgentClient(agents['url'], TOKEN, stream_limits=limits) as client:
        received: list[str] = []
        with pytest.raises(ClientError) as caught:
            for line in client.tail_job_logs(agents['greet'], protocol=protocol):
                received.append(line)
        assert caught.value.status == 429
        assert len(received) <= limits.max_lines and sum(len(x.encode()) for x in received) <= limits.max_bytes


def test_async_client_tails_and_stops_a_running_job(agents):
    async def scenario() -> tuple[list[str], Any]:
        async with AsyncAgentClient(agents['url'], TOKEN) as client:
            deadline = time.monotonic() + 90
            while (await client.get_job(agents['sleep']))['status'] != 'RUNNING' and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            lines: list[str] = []
            async for line in client.tail_job_logs(agents['sleep'], protocol='websocket'):
                lines.append(line)
                if 'sleeping' in line:
                    await client.stop_job(agents['sleep'])
            return lines, await client.get_job(agents['sleep'])

    lines, job = asyncio.run(scenario())
    assert any('sleeping' in line for line in lines)
    assert job['status'] == 'STOPPED'


def test_unknown_job_and_bad_arguments_are_client_errors(agents):
    with AgentClient(agents['url'], TOKEN) as client:
        with pytest.raises(ClientError) as missing:
            client.get_job('no-such-job')
        assert missing.value.status == 404
        with pytest.raises(ClientError) as missing_tail:
            list(client.tail_job_logs('no-such-job', protocol='auto'))
        assert missing_tail.value.status == 404
        with pytest.raises(ClientError) as bad_protocol:
            client.tail_job_logs(agents['greet'], protocol='carrier-pigeon')
        assert bad_protocol.value.status == 400


def test_clients_without_aiohttp_say_how_to_install_it(monkeypatch: pytest.MonkeyPatch):
    from synapse_sdk.core.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, 'aiohttp', None)
    with AgentClient('http://127.0.0.1:9', TOKEN) as client, pytest.raises(MissingDependencyError) as caught:
        client.list_jobs()
    assert 'pip install "synapse-sdk[ray]"' in str(caught.value)
