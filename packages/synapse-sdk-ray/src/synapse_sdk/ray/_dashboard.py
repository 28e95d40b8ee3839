"""A small client for the Ray dashboard's REST API (jobs, logs, nodes), bounded by timeouts."""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from synapse_sdk.core.errors import ClientError
from synapse_sdk.ray._addresses import dashboard_url
from synapse_sdk.ray._connection import host_port, probe, unreachable
from synapse_sdk.ray.errors import AddressError, JobNotFoundError

DEFAULT_DASHBOARD = 'http://127.0.0.1:8265'
ENV_DASHBOARD = 'RAY_DASHBOARD_ADDRESS'
TERMINAL = frozenset({'SUCCEEDED', 'FAILED', 'STOPPED'})


def resolve_dashboard(address: str | None) -> str:
    """Explicit address, else ``RAY_DASHBOARD_ADDRESS``, else an http ``RAY_ADDRESS``, else localhost:8265."""
    chosen = dashboard_url(address or os.environ.get(ENV_DASHBOARD))
    if not chosen:
        ray_address = os.environ.get('RAY_ADDRESS', '')
        chosen = ray_address if ray_address.startswith(('http://', 'https://')) else DEFAULT_DASHBOARD
    return chosen.rstrip('/')


class Dashboard:
    def __init__(self, address: str | None = None, *, timeout: float = 15.0, headers: Mapping[str, str] | None = None):
        self.address = resolve_dashboard(address)
        self.timeout = timeout
        self.headers = dict(headers or {})
        self._checked = False

    def ensure_reachable(self) -> None:
        if self._checked:
            return
        endpoint = host_port(self.address, 8265)
        if endpoint is not None and not probe(*endpoint, self.timeout):
            raise unreachable('dashboard', self.address, self.timeout)
        self._checked = True

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None) -> bytes:
        self.ensure_reachable()
        url = f'{self.address}{path}'
        if query:
            url += '?' + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, method=method, headers=self.headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as error:
            body = error.read().decode('utf-8', 'replace')[:500]
            if error.code == 404:
                raise JobNotFoundError(f'not found on the Ray dashboard: {path}', details={'path': path}) from None
            raise ClientError(
                f'Ray dashboard {self.address} answered {error.code} for {method} {path}: {body}', status=error.code
            ) from None
        except (urllib.error.URLError, OSError) as error:
            raise ClientError(f'Ray dashboard {self.address} could not be reached: {error}', status=503) from None
        except http.client.HTTPException:
            # Something answers, but not HTTP: typically the GCS port pasted where the dashboard belongs.
            host = (host_port(self.address, 8265) or ('127.0.0.1', 8265))[0]
            raise AddressError(
                f'{self.address} does not answer as a Ray dashboard (is it the cluster address? that is for '
                f'--mode task). Job mode needs the Ray dashboard URL, e.g. http://{host}:8265.',
                details={'address': self.address},
            ) from None

    def json(self, method: str, path: str, *, query: Mapping[str, Any] | None = None) -> Any:
        return json.loads(self.request(method, path, query=query) or b'null')

    # -- jobs --------------------------------------------------------------------------------
    def job(self, job_id: str) -> dict[str, Any]:
        try:
            data = self.json('GET', f'/api/jobs/{urllib.parse.quote(job_id)}')
        except JobNotFoundError:
            raise JobNotFoundError(f'No Ray job {job_id!r} on {self.address}', details={'job_id': job_id}) from None
        if not isinstance(data, dict):
            raise JobNotFoundError(f'No Ray job {job_id!r} on {self.address}', details={'job_id': job_id})
        return data

    def jobs(self) -> list[dict[str, Any]]:
        data = self.json('GET', '/api/jobs/')
        return list(data or [])

    def job_logs(self, job_id: str) -> str:
        try:
            data = self.json('GET', f'/api/jobs/{urllib.parse.quote(job_id)}/logs')
        except JobNotFoundError:
            raise JobNotFoundError(f'No Ray job {job_id!r} on {self.address}', details={'job_id': job_id}) from None
        return str((data or {}).get('logs', ''))

    def stop_job(self, job_id: str) -> bool:
        data = self.json('POST', f'/api/jobs/{urllib.parse.quote(job_id)}/stop')
        return bool((data or {}).get('stopped', False))

    def delete_job(self, job_id: str) -> bool:
        data = self.json('DELETE', f'/api/jobs/{urllib.parse.quote(job_id)}')
        return bool((data or {}).get('deleted', False))

    # -- nodes and files ---------------------------------------------------------------------
    def nodes(self) -> list[dict[str, Any]]:
        data = self.json('GET', '/api/v0/nodes', query={'limit': 1000})
        return list(((data or {}).get('data') or {}).get('result', {}).get('result', []))

    def total_resources(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for node in self.nodes():
            if node.get('state') != 'ALIVE':
                continue
            for name, amount in (node.get('resources_total') or {}).items():
                totals[name] = totals.get(name, 0.0) + float(amount)
        return totals

    def node_file(self, node_id: str, filename: str, *, lines: int = -1) -> bytes | None:
        """A file under the node's Ray logs folder (its last ``lines`` lines), or None when it does not exist."""
        try:
            return self.request(
                'GET', '/api/v0/logs/file', query={'node_id': node_id, 'filename': filename, 'lines': lines}
            )
        except (ClientError, JobNotFoundError) as error:
            if isinstance(error, JobNotFoundError) or getattr(error, 'status', None) in (404, 500):
                return None
            raise
