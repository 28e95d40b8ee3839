"""Backend costs, side by side with the alternatives they replace.

1. Logging 2000 events of a run to the backend: one request per line (the published package's
   JobLogger) against ``BackendLogSink`` (queued, batched, off the run's thread). Measured against
   the real HTTP test server and the embedded backend; "run thread" is the time the action waits.
2. LocalBackend writes: 400 single-row transactions from one process against the same from two
   processes at once (WAL + BEGIN IMMEDIATE), and against one batched transaction.
3. Paginated listing of 250 records over HTTP: page_size 100 against page_size 10.

Usage: uv run python benchmarks/backend/bench_backend.py
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from synapse_sdk.clients._backend import BackendClient, BackendLogSink
from synapse_sdk.clients._local import LocalBackend

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / 'tests' / 'backend' / 'platform_server.py'
TOKEN = 'bench-token'
LINES = 2000


class Event:
    def __init__(self, n: int) -> None:
        self.n = n

    def to_dict(self) -> dict[str, Any]:
        return {'kind': 'log', 'level': 'info', 'data': {'event': 'step', 'n': self.n}}


def median(fn: Any, repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def per_line(client: Any, job: str) -> None:
    for i in range(LINES):
        client.create_logs(job, [Event(i).to_dict()])


def batched(client: Any, job: str) -> tuple[float, float]:
    sink = BackendLogSink(client, job, flush_interval=0.2)
    start = time.perf_counter()
    for i in range(LINES):
        sink.emit(Event(i))
    emitted = time.perf_counter() - start
    sink.close()
    return emitted, time.perf_counter() - start


def logging_rows(name: str, client: Any) -> list[tuple[str, float, float]]:
    slow = median(lambda: per_line(client, 'job-a'), repeat=1 if name == 'http' else 3)
    runs = [batched(client, 'job-b') for _ in range(3)]
    emit = statistics.median(r[0] for r in runs)
    total = statistics.median(r[1] for r in runs)
    return [
        (f'{name}: {LINES} log lines, one request each (run thread)', slow, 1.0),
        (f'{name}: BackendLogSink, run thread', emit, slow / emit),
        (f'{name}: BackendLogSink, until delivered', total, slow / total),
    ]


WRITER = textwrap.dedent(
    """
    import sys
    from synapse_sdk.clients._local import LocalBackend
    backend = LocalBackend(sys.argv[1])
    for i in range(int(sys.argv[2])):
        backend.create_data_units('bench', [{'name': f'{sys.argv[3]}-{i}', 'files': {}}])
    """
)


def local_rows(root: Path) -> list[tuple[str, float, float]]:
    def fresh() -> Path:
        home = Path(tempfile.mkdtemp(dir=root))
        LocalBackend(home).create_dataset('bench')
        return home

    def one_process() -> None:
        subprocess.run([sys.executable, '-c', WRITER, str(fresh()), '400', 'a'], check=True)

    def two_processes() -> None:
        home = fresh()
        procs = [subprocess.Popen([sys.executable, '-c', WRITER, str(home), '200', tag]) for tag in 'ab']
        for proc in procs:
            assert proc.wait() == 0
        assert LocalBackend(home).get_dataset('bench')['count'] == 400

    def one_transaction() -> None:
        backend = LocalBackend(fresh())
        backend.create_data_units('bench', [{'name': f'u{i}', 'files': {}} for i in range(400)])

    single, double, batch = median(one_process), median(two_processes), median(one_transaction)
    return [
        ('local: 400 data units, 400 transactions, 1 process', single, 1.0),
        ('local: 400 data units, 400 transactions, 2 processes at once', double, single / double),
        ('local: 400 data units, 1 transaction', batch, single / batch),
    ]


def main() -> None:
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows += logging_rows('local', LocalBackend(root / 'logs'))
        proc = subprocess.Popen([sys.executable, str(SERVER), TOKEN], stdout=subprocess.PIPE)
        try:
            assert proc.stdout is not None
            url = f'http://127.0.0.1:{int(proc.stdout.readline())}'
            client = BackendClient(url, TOKEN)
            rows += logging_rows('http', client)
            small = median(lambda: list(client.list_data_units(3, page_size=10)), repeat=5)
            large = median(lambda: list(client.list_data_units(3, page_size=100)), repeat=5)
            rows += [
                ('http: list 250 records, page_size=10', small, 1.0),
                ('http: list 250 records, page_size=100', large, small / large),
            ]
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait()
        rows += local_rows(root)
    width = max(len(r[0]) for r in rows)
    print(f'{"measurement".ljust(width)}  {"median":>10}  {"speed-up":>8}')
    for name, seconds, ratio in rows:
        print(f'{name.ljust(width)}  {seconds * 1000:>8.1f}ms  {ratio:>7.1f}x')


if __name__ == '__main__':
    main()
