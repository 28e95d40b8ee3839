"""Served action on Ray Serve vs a bare Ray Serve deployment of the same function, in one run.

Run: uv run python benchmarks/serve/bench_ray.py [--requests 400] [--rounds 3] [--clients 8]
Starts its own head on loopback (2 CPUs) unless RAY_BENCH_ADDRESS is set.

Both sides are called over HTTP through the same Serve proxy with one keep-alive connection per
client thread: latency is sequential requests (p50, p99), throughput is ``--clients`` threads
sending at once. The served action goes through the SDK's whole path (params model, dispatch,
model LRU, typed errors); the bare deployment parses JSON, calls the function, answers JSON.
Latency requests alternate one by one between the two, so drift on a shared machine hits both
alike; throughput rounds alternate too.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

os.environ.setdefault('RAY_AUTH_MODE', 'disabled')
os.environ.setdefault('RAY_ENABLE_UV_RUN_RUNTIME_ENV', '0')

CONFIG = """\
name: Bench detector
code: bench
version: 0.1.0
category: custom
actions:
  detect:
    entrypoint: bench_plugin.actions:detect
"""

CODE = """\
from pydantic import BaseModel

from synapse_sdk.plugins.decorators import action


def work(values, threshold):
    boxes = [[i, v, i + 1, v + 1] for i, v in enumerate(values) if v >= threshold]
    return {'boxes': boxes, 'count': len(boxes)}


class DetectParams(BaseModel):
    values: list[float]
    threshold: float = 0.5


@action(name='detect', params=DetectParams)
def detect(params, ctx):
    return work(params.values, params.threshold)
"""

PAYLOAD = {'values': [(i % 10) / 10 for i in range(64)], 'threshold': 0.5}


class BareDeployment:
    """What one would write by hand on Ray Serve: JSON in, the same function, JSON out."""

    async def __call__(self, request: Any) -> Any:
        from bench_plugin.actions import work
        from starlette.responses import JSONResponse

        body = await request.json()
        return JSONResponse(work(body['values'], body.get('threshold', 0.5)))


def make_plugin() -> Path:
    root = Path(tempfile.mkdtemp(prefix='synapse-serve-bench-'))
    (root / 'config.yaml').write_text(CONFIG, encoding='utf-8')
    (root / 'bench_plugin').mkdir()
    (root / 'bench_plugin' / '__init__.py').write_text('', encoding='utf-8')
    (root / 'bench_plugin' / 'actions.py').write_text(textwrap.dedent(CODE), encoding='utf-8')
    return root


class Client:
    """One keep-alive HTTP connection."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.path = parts.path
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.body = json.dumps(PAYLOAD).encode()

    def call(self) -> None:
        self.conn.request('POST', self.path, body=self.body, headers={'Content-Type': 'application/json'})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f'{response.status}: {data[:200]!r}')


def latencies(urls: list[str], count: int) -> list[list[float]]:
    """Sequential requests, alternating between ``urls`` one call at a time (drift hits all alike)."""
    clients = [Client(url) for url in urls]
    for _ in range(20):
        for client in clients:
            client.call()
    samples: list[list[float]] = [[] for _ in urls]
    for _ in range(count):
        for index, client in enumerate(clients):
            started = time.perf_counter()
            client.call()
            samples[index].append(time.perf_counter() - started)
    return samples


def throughput(url: str, clients: int, per_client: int) -> float:
    barrier = threading.Barrier(clients + 1)

    def run() -> None:
        client = Client(url)
        client.call()
        barrier.wait()
        for _ in range(per_client):
            client.call()

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return clients * per_client / (time.perf_counter() - started)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--requests', type=int, default=400)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--clients', type=int, default=8)
    args = parser.parse_args()

    from ray import serve
    from synapse_sdk.ray._connection import connect
    from synapse_sdk.ray._serve.admin import ensure_serve, proxy_base_url
    from synapse_sdk.ray._serve.executor import RayServeExecutor
    from synapse_sdk.ray._task import actor_runtime_env
    from synapse_sdk.ray.testing import LocalHead, free_port

    head = None
    address = os.environ.get('RAY_BENCH_ADDRESS')
    if not address:
        head = LocalHead(num_cpus=2).start()
        address = head.address
    plugin = make_plugin()
    try:
        connect(address, timeout=60)
        host, port = ensure_serve('127.0.0.1', free_port())
        cpus = 0.25  # 6 replicas in all fit a 2-CPU head
        served = {}
        for replicas in (1, 2):
            executor = RayServeExecutor(
                address=address,
                working_dir=plugin,
                num_replicas=replicas,
                num_cpus=cpus,
                app_name=f'bench-served-{replicas}',
                include_credentials=False,
                deploy_timeout=180,
            )
            served[replicas] = executor.deploy('detect')
        runtime_env = actor_runtime_env({'working_dir': str(plugin), 'excludes': []})
        bare = {}
        for replicas in (1, 2):
            app = f'bench-bare-{replicas}'
            deployment = serve.deployment(
                name='bare', num_replicas=replicas, ray_actor_options={'num_cpus': cpus, 'runtime_env': runtime_env}
            )(BareDeployment)
            serve.run(deployment.bind(), name=app, route_prefix=f'/{app}')
            bare[replicas] = f'{proxy_base_url(host, port)}/{app}'
        served_urls = {n: handle.url for n, handle in served.items()}

        lat: dict[str, list[float]] = {'served': [], 'bare': []}
        tput: dict[str, list[float]] = {f'{side}-{n}': [] for side in ('served', 'bare') for n in (1, 2)}
        per_client = max(10, args.requests // args.clients)
        for _ in range(args.rounds):
            served_samples, bare_samples = latencies([served_urls[1], bare[1]], args.requests)
            lat['served'] += served_samples
            lat['bare'] += bare_samples
            for n in (1, 2):
                tput[f'served-{n}'].append(throughput(served_urls[n], args.clients, per_client))
                tput[f'bare-{n}'].append(throughput(bare[n], args.clients, per_client))

        rows = [
            ('latency p50 (1 replica)', pct(lat['served'], 0.5), pct(lat['bare'], 0.5), 'ms'),
            ('latency p99 (1 replica)', pct(lat['served'], 0.99), pct(lat['bare'], 0.99), 'ms'),
            ('throughput, 1 replica', statistics.median(tput['served-1']), statistics.median(tput['bare-1']), 'req/s'),
            ('throughput, 2 replicas', statistics.median(tput['served-2']), statistics.median(tput['bare-2']), 'req/s'),
        ]
        print(f'{args.rounds} rounds x {args.requests} sequential requests; {args.clients} clients for throughput')
        print(f'{"measure":<26} {"served":>12} {"bare Serve":>12} {"served/bare":>12}')
        print('-' * 66)
        for what, ours, peer, unit in rows:
            print(f'{what:<26} {ours:>8.2f} {unit:<3} {peer:>8.2f} {unit:<3} {ours / peer:>11.2f}x')
        scale_served = statistics.median(tput['served-2']) / statistics.median(tput['served-1'])
        scale_bare = statistics.median(tput['bare-2']) / statistics.median(tput['bare-1'])
        print(f'throughput 2 replicas / 1 replica: served {scale_served:.2f}x, bare {scale_bare:.2f}x')
        for handle in served.values():
            handle.delete()
        for n in (1, 2):
            serve.delete(f'bench-bare-{n}')
    finally:
        if head is not None:
            head.stop()


if __name__ == '__main__':
    sys.exit(main())
