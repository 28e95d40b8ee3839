"""Job mode: RayJobsApiExecutor vs Ray's own job submission of the same work.

Peer: ``JobSubmissionClient.submit_job`` (what ``ray job submit`` calls) of ``python bare.py``,
which runs the same function and prints its result; its result is read back from the log.
Ours: ``submit()`` of the action, ``wait()`` for the result through the side channel.

Run: uv run python benchmarks/ray/bench_jobs.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import make_plugin, median_ms, table

TERMINAL = {'SUCCEEDED', 'FAILED', 'STOPPED'}


def _until(status_of, job_id: str, wanted: set[str]) -> None:  # type: ignore[no-untyped-def]
    while str(status_of(job_id)) not in wanted:
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()

    from synapse_sdk.ray.testing import LocalHead

    head = None
    dashboard = os.environ.get('RAY_BENCH_DASHBOARD')
    if not dashboard:
        head = LocalHead(num_cpus=2).start()
        dashboard = head.dashboard_address
    try:
        from ray.job_submission import JobSubmissionClient

        from synapse_sdk.ray._jobs_api import RayJobsApiExecutor

        plugin = make_plugin()
        peer_client = JobSubmissionClient(dashboard)
        executor = RayJobsApiExecutor(dashboard_address=dashboard, working_dir=plugin, include_credentials=False)
        params = {'numbers': list(range(100))}
        expected = {'total': 4950, 'count': 100}
        # Warm-up both (first upload of the working_dir, first job supervisor).
        assert executor.wait(executor.submit('bench_plugin.actions:sum_action', params), timeout=120) == expected
        warm = peer_client.submit_job(entrypoint='python bare.py', runtime_env={'working_dir': str(plugin)})
        _until(peer_client.get_job_status, warm, TERMINAL)

        ours_running: list[float] = []
        ours_result: list[float] = []
        peer_running: list[float] = []
        peer_result: list[float] = []
        for _ in range(args.runs):
            start = time.perf_counter()
            job = executor.submit('bench_plugin.actions:sum_action', params)
            _until(executor.status, job, {'RUNNING', *TERMINAL})
            ours_running.append(time.perf_counter() - start)
            assert executor.wait(job, timeout=120) == expected
            ours_result.append(time.perf_counter() - start)

            start = time.perf_counter()
            job = peer_client.submit_job(entrypoint='python bare.py', runtime_env={'working_dir': str(plugin)})
            _until(peer_client.get_job_status, job, {'RUNNING', *TERMINAL})
            peer_running.append(time.perf_counter() - start)
            _until(peer_client.get_job_status, job, TERMINAL)
            assert '4950' in peer_client.get_job_logs(job)
            peer_result.append(time.perf_counter() - start)
        print(f'jobs: {args.runs} runs each, medians')
        print(
            table(
                [
                    ('submit -> RUNNING', median_ms(ours_running), median_ms(peer_running)),
                    ('submit -> result', median_ms(ours_result), median_ms(peer_result)),
                ]
            )
        )
    finally:
        if head is not None:
            head.stop()


if __name__ == '__main__':
    main()
