"""Embedded serving overhead: a served action (loopback HTTP, keep-alive) against a direct call.

1. The example detector (``examples/inference_plugin``, model loaded once) on a 64x48 image:
   direct ``model.detect(read_pixels(...))`` vs ``ServedAction.handle`` (validation + dispatch, no
   HTTP) vs ``handle.predict`` through the embedded server. Target: served p50 - direct p50 <= 2 ms.
2. An empty action (``{}`` -> ``{}``): the SDK's floor per request.
3. Throughput: requests/s of the served detector with 1 and 4 client threads.

Usage: uv run python benchmarks/serve/bench_local.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.decorators import action
from synapse_sdk.plugins.runner import run_plugin

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / 'examples' / 'inference_plugin'
IMAGE = str(REPO / 'examples' / 'data' / 'blobs' / 'red_blue.png')


@action(name='empty')
def empty(params: dict[str, Any], ctx: Any) -> dict[str, Any]:
    return {}


def latencies(fn: Callable[[], Any], requests: int) -> list[float]:
    for _ in range(min(200, requests)):  # warm-up
        fn()
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def throughput(fn: Callable[[], Any], threads: int, seconds: float = 3.0) -> float:
    stop = time.monotonic() + seconds
    counts = [0] * threads

    def worker(index: int) -> None:
        while time.monotonic() < stop:
            fn()
            counts[index] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--requests', type=int, default=2000)
    args = parser.parse_args()

    sys.path.insert(0, str(PLUGIN))
    from inference_example.detector import read_pixels
    from inference_example.model import DEFAULT_MODEL

    payload = {'image_path': IMAGE}
    body = json.dumps(payload).encode()
    handle = run_plugin(PLUGIN, 'inference', {}, mode='serve', sinks=[])
    blank = run_plugin(None, 'empty', {}, mode='serve', action_cls=empty, sinks=[])
    served = handle.server.served
    try:
        rows = []
        direct = latencies(lambda: DEFAULT_MODEL.detect(read_pixels(IMAGE)), args.requests)
        in_process = latencies(lambda: served.handle(body), args.requests)
        over_http = latencies(lambda: handle.predict(payload), args.requests)
        floor = latencies(lambda: blank.predict({}), args.requests)
        for name, samples in (
            ('detector, direct call', direct),
            ('detector, ServedAction.handle (no HTTP)', in_process),
            ('detector, served on loopback (HTTP)', over_http),
            ('empty action, served on loopback (HTTP)', floor),
        ):
            rows.append((name, pct(samples, 0.5), pct(samples, 0.99)))
        print('| measurement | p50 ms | p99 ms |')
        print('|---|---:|---:|')
        for name, p50, p99 in rows:
            print(f'| {name} | {p50:.3f} | {p99:.3f} |')
        overhead = pct(over_http, 0.5) - pct(direct, 0.5)
        verdict = 'OK' if overhead <= 2.0 else 'OVER TARGET'
        print(f'\nserved - direct at p50: {overhead:.3f} ms (target <= 2 ms: {verdict})')
        print('\n| throughput | requests/s |')
        print('|---|---:|')
        print(f'| detector, direct, 1 thread | {throughput(lambda: DEFAULT_MODEL.detect(read_pixels(IMAGE)), 1):.0f} |')
        for threads in (1, 4):
            rate = throughput(lambda: handle.predict(payload), threads)
            print(f'| detector, served, {threads} client thread(s) | {rate:.0f} |')
    finally:
        handle.delete()
        blank.delete()


if __name__ == '__main__':
    main()
