"""Credentials only to their owner: a redirect to another origin never carries the token or tenant.

Two real servers on loopback (tests/backend/platform_server.py in two processes): the platform (A)
answers a redirect to another origin (B: same host, other port), B records every header it gets.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from synapse_sdk.clients._backend import BackendClient
from synapse_sdk.clients._backend.http import origin_of
from synapse_sdk.core.errors import ClientError

pytestmark = pytest.mark.integration
PLATFORM_TOKEN = 'tok-backend-SECRET-4242'
CREDENTIAL_HEADERS = ('synapse-access-token', 'synapse-tenant', 'authorization', 'synapse-agent')


def control(url: str, name: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(f'{url}/__control/{name}', data=data)) as response:
        return json.loads(response.read())


def redirect(url: str, path: str, location: str, status: int = 302, method: str = 'GET') -> None:
    control(url, 'faults', {'path': path, 'method': method, 'status': status, 'times': 1, 'location': location})


def _seen_by(url: str) -> list[dict[str, Any]]:
    return [entry for entry in control(url, 'log') if not entry['path'].startswith('__control')]


def _client(url: str) -> BackendClient:
    return BackendClient(
        url, PLATFORM_TOKEN, tenant='acme', authorization_token='auth-SECRET-77', backoff=0.01, retries=1
    )


@pytest.mark.parametrize('status', [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_carries_no_credentials(platform: str, other_origin: str, status: int) -> None:
    redirect(platform, 'projects/7', f'{other_origin}/projects/7/', status)
    with pytest.raises(ClientError) as info:  # B does not know the caller: 401, and says so
        _client(platform).get_project(7)
    assert info.value.status == 401
    seen = _seen_by(other_origin)
    assert [entry['path'] for entry in seen] == ['projects/7']
    headers = {k.lower(): v for k, v in seen[0]['headers'].items()}
    assert not [h for h in CREDENTIAL_HEADERS if h in headers], headers
    assert PLATFORM_TOKEN not in json.dumps(seen) and 'auth-SECRET-77' not in json.dumps(seen)
    assert PLATFORM_TOKEN not in str(info.value)


def test_a_redirect_on_the_same_origin_keeps_the_credentials(platform: str) -> None:
    redirect(platform, 'projects/8', f'{platform}/projects/7/')
    assert _client(platform).get_project(8)['name'] == 'p'
    last = _seen_by(platform)[-1]
    assert last['path'] == 'projects/7' and last['headers']['Synapse-Access-Token'] == f'Token {PLATFORM_TOKEN}'


@pytest.mark.parametrize('status', [302, 303])
def test_a_post_redirected_to_another_origin_carries_no_credentials(
    platform: str, other_origin: str, status: int
) -> None:
    redirect(platform, 'jobs', f'{other_origin}/jobs/', status, method='POST')
    with pytest.raises(ClientError):
        _client(platform).create_job('train', {'epochs': 1})
    seen = _seen_by(other_origin)
    assert [entry['path'] for entry in seen] == ['jobs']  # urllib follows a POST redirect with a GET
    assert not {k.lower() for k in seen[0]['headers']} & set(CREDENTIAL_HEADERS), seen[0]


def test_origin_is_scheme_host_and_port() -> None:
    assert origin_of('https://API.example.com/x') == origin_of('https://api.example.com:443/y')
    assert origin_of('http://api.example.com') != origin_of('https://api.example.com')  # downgrade
    assert origin_of('http://127.0.0.1:8000') != origin_of('http://127.0.0.1:8001')
    assert origin_of('https://api.example.com.evil.test') != origin_of('https://api.example.com')
