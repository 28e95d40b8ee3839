"""BackendClient against a real HTTP server in another process (see platform_server.py)."""

from __future__ import annotations

import hashlib
import json
import pickle
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._backend import BackendClient
from synapse_sdk.clients._factory import default_client
from synapse_sdk.clients._protocol import BackendProtocol
from synapse_sdk.core.errors import ClientError

pytestmark = pytest.mark.integration
PLATFORM_TOKEN = 'tok-backend-SECRET-4242'  # the token the server in conftest.py accepts


def control(url: str, name: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(f'{url}/__control/{name}', data=data)) as response:
        return json.loads(response.read())


def client(url: str, **kw: Any) -> BackendClient:
    return BackendClient(url, PLATFORM_TOKEN, tenant='acme', backoff=0.01, **kw)


def test_sends_token_and_tenant_headers_and_hides_them(platform: str) -> None:
    c = client(platform)
    assert isinstance(c, BackendProtocol)
    assert c.get_project(7)['name'] == 'p'
    headers = control(platform, 'log')[-1]['headers']
    assert headers['Synapse-Access-Token'] == f'Token {PLATFORM_TOKEN}'
    assert headers['Synapse-Tenant'] == 'Token acme'
    assert PLATFORM_TOKEN not in repr(c) and PLATFORM_TOKEN not in str(c)


def test_factory_picks_the_platform_when_credentials_are_complete(platform: str, tmp_path: Path) -> None:
    env = {
        'SYNAPSE_HOME': str(tmp_path),
        'SYNAPSE_HOST': platform,
        'SYNAPSE_ACCESS_TOKEN': PLATFORM_TOKEN,
        'SYNAPSE_TENANT': 'acme',
    }
    c = default_client(env)
    assert isinstance(c, BackendClient) and c.tenant == 'acme'
    assert c.get_project(7)['id'] == 7


def test_pagination_follows_next_links(platform: str) -> None:
    units = list(client(platform).list_data_units(3, page_size=100))
    assert len(units) == 250 and [u['id'] for u in units] == list(range(1, 251))
    assert units[4]['split'] == 'valid' and units[0]['files']['image_1']['is_primary'] is True
    pages = [r for r in control(platform, 'log') if r['path'] == 'sdk/ground_truth_events']
    assert len(pages) == 3
    assert len(list(client(platform).list_data_units(3, filters={'split': 'valid'}))) == 50


def test_retries_5xx_on_reads_with_backoff(platform: str) -> None:
    control(platform, 'faults', {'path': 'projects/7', 'method': 'GET', 'status': 503, 'times': 2})
    assert client(platform).get_project(7)['id'] == 7
    assert sum(r['path'] == 'projects/7' for r in control(platform, 'log')) == 3


def test_dropped_connection_is_retried(platform: str) -> None:
    control(platform, 'faults', {'path': 'projects/7', 'method': 'GET', 'status': 'drop', 'times': 1})
    assert client(platform).get_project(7)['id'] == 7


def test_post_is_not_repeated_after_a_500_and_errors_hide_the_token(platform: str) -> None:
    control(platform, 'faults', {'path': 'jobs', 'method': 'POST', 'status': 500, 'times': 5})
    with pytest.raises(ClientError) as caught:
        client(platform).create_job('train')
    assert caught.value.status == 500
    assert PLATFORM_TOKEN not in str(caught.value) and '***' in str(caught.value)
    assert sum(r['path'] == 'jobs' for r in control(platform, 'log')) == 1


def test_gives_up_after_the_configured_attempts(platform: str) -> None:
    control(platform, 'faults', {'path': 'projects/7', 'method': 'GET', 'status': 502, 'times': 10})
    with pytest.raises(ClientError, match='HTTP 502') as caught:
        client(platform, retries=3).get_project(7)
    assert caught.value.details['attempts'] == 3


def test_wrong_token_is_a_401_without_the_token(platform: str) -> None:
    with pytest.raises(ClientError) as caught:
        BackendClient(platform, 'wrong-token-xyz', retries=1).get_project(7)
    assert caught.value.status == 401 and 'wrong-token-xyz' not in str(caught.value)


def test_timeout_and_unreachable_host_are_client_errors(platform: str) -> None:
    started = time.monotonic()
    with pytest.raises(ClientError, match='could not reach'):
        client(platform, timeout=0.3, retries=2)._get('slow/')
    assert time.monotonic() - started < 1.9
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    with pytest.raises(ClientError, match='could not reach') as caught:
        client(f'http://127.0.0.1:{port}', retries=2).get_model(1)
    assert PLATFORM_TOKEN not in str(caught.value) and caught.value.details['attempts'] == 2


def test_create_model_uploads_the_weights_in_chunks(platform: str, tmp_path: Path) -> None:
    weights = tmp_path / 'best.pt'
    weights.write_bytes(bytes(range(256)) * 20)  # 5120 bytes -> 3 chunks of 2000
    c = client(platform, chunk_size=2000)
    model = c.create_model(weights, name='yolo', category='detection')
    chunks = [r for r in control(platform, 'log') if r['path'].startswith('chunked_upload') and r['method'] == 'PUT']
    assert len(chunks) == 3
    fetched = c.get_model(model['id'])
    assert fetched['name'] == 'yolo' and fetched['file']['name'] == f'model{model["id"]}.bin'
    copy = c.download_model(model['id'], tmp_path / 'copy.pt')
    assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(weights.read_bytes()).digest()


def test_tasks_and_annotations(platform: str) -> None:
    c = client(platform)
    tasks = list(c.list_tasks({'project': 7}, page_size=2))
    assert [t['id'] for t in tasks] == [1, 2, 3, 4, 5]
    c.annotate_task_data(2, {'action': 'submit', 'data': {'images': []}})
    assert c.get_task(2)['status'] == 'submitted'
    items, count = c.get_assignments({'project': 7})
    assert count == 1 and [i['id'] for i in items] == [2]
    put = [r for r in control(platform, 'log') if r['path'] == 'tasks/2/annotate_task_data']
    assert put[0]['method'] == 'PUT'


def test_jobs_logs_in_one_request(platform: str) -> None:
    c = client(platform)
    job = c.create_job('train', {'epochs': 1}, job_id='job-1')
    assert c.update_job(job['id'], status='succeeded')['status'] == 'succeeded'
    assert c.create_logs('job-1', [{'message': str(i)} for i in range(50)]) == 50
    assert sum(r['path'] == 'logs' for r in control(platform, 'log')) == 1
    assert len(c.list_logs('job-1')) == 50


def test_plugin_release_is_idempotent_and_pickles(platform: str, tmp_path: Path) -> None:
    archive = tmp_path / 'plugin.zip'
    archive.write_bytes(b'PK-fake-zip')
    c = pickle.loads(pickle.dumps(client(platform)))
    first = c.create_plugin_release('yolo', '1.0.0', archive, config={'code': 'yolo'})
    again = c.create_plugin_release('yolo', '1.0.0', archive, config={'code': 'yolo'})
    assert first['is_cached'] is False and again['is_cached'] is True and first['id'] == again['id']
    assert control(platform, 'state')['releases'][0]['file_md5'] == hashlib.md5(b'PK-fake-zip').hexdigest()


def test_storage_by_id_comes_with_its_configuration(platform: str) -> None:
    assert client(platform).get_storage(5) == {
        'provider': 'local',
        'configuration': {'location': '/tmp/x'},
        'id': 5,
    }


def test_a_non_json_answer_is_a_clear_error(platform: str) -> None:
    with pytest.raises(ClientError, match='not JSON; is SYNAPSE_HOST the API address'):
        client(platform)._get('html')
