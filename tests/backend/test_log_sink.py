from __future__ import annotations

import time
from typing import Any

from synapse_sdk.clients._backend import BackendLogSink
from synapse_sdk.clients._local import LocalBackend


class Event:
    def __init__(self, n: int) -> None:
        self.n = n

    def to_dict(self) -> dict[str, Any]:
        return {'kind': 'log', 'n': self.n}


def test_events_arrive_in_order_in_few_batches_without_blocking_the_run(backend: LocalBackend) -> None:
    calls: list[int] = []
    real = backend.create_logs

    def slow(job_id: str, entries: Any) -> int:
        time.sleep(0.02)  # a remote backend: one request per line would take 1000 * 20 ms
        calls.append(len(entries))
        return real(job_id, entries)

    backend.create_logs = slow  # type: ignore[method-assign]
    sink = BackendLogSink(backend, 'job-1', flush_interval=10, max_batch=100)
    started = time.perf_counter()
    for i in range(1000):
        sink.emit(Event(i))
    emit_time = time.perf_counter() - started
    sink.close()
    assert [e['n'] for e in backend.list_logs('job-1')] == list(range(1000))
    assert sum(calls) == 1000 and len(calls) <= 12
    assert emit_time < 2.0  # far below the 20 s of one blocking request per line


def test_a_failing_backend_never_raises_into_the_run() -> None:
    class Broken:
        def create_logs(self, job_id: str, entries: Any) -> int:
            raise ConnectionError('backend down')

    sink = BackendLogSink(Broken(), 'job-2', flush_interval=0.01)
    for i in range(10):
        sink.emit(Event(i))
    sink.close()
    assert sink.dropped == 10 and sink.sent == 0
