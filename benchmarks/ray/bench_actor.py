"""Warm-actor call: RayActorExecutor.execute vs a bare Ray actor method doing the same work.

Run: uv run python benchmarks/ray/bench_actor.py [--calls 300]
Starts its own head on loopback unless RAY_BENCH_ADDRESS is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import make_plugin, median_ms, table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--calls', type=int, default=300)
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args()

    from synapse_sdk.ray.testing import LocalHead

    head = None
    address = os.environ.get('RAY_BENCH_ADDRESS')
    if not address:
        head = LocalHead(num_cpus=2).start()
        address = head.address
    try:
        import ray
        from synapse_sdk.ray._task import RayActorExecutor

        plugin = make_plugin()
        executor = RayActorExecutor(address=address, working_dir=plugin, sinks=[], include_credentials=False)
        params = {'numbers': list(range(100))}
        assert executor.execute('bench_plugin.actions:sum_action', params) == {'total': 4950, 'count': 100}

        sys.path.insert(0, str(plugin))
        from bench_plugin.actions import work  # type: ignore[import-not-found]

        @ray.remote
        class Bare:
            def run(self, numbers: list[int]) -> dict[str, int]:
                return work(numbers)

        from synapse_sdk.ray._task import actor_runtime_env

        same_code = actor_runtime_env({'working_dir': str(plugin)})  # the same packaged plugin code
        bare = Bare.options(runtime_env=same_code).remote()  # type: ignore[attr-defined]
        assert ray.get(bare.run.remote(params['numbers'])) == {'total': 4950, 'count': 100}

        ours: list[float] = []
        peer: list[float] = []
        for _ in range(args.rounds):  # interleaved so machine noise hits both alike
            for _ in range(args.calls // args.rounds):
                start = time.perf_counter()
                executor.execute('bench_plugin.actions:sum_action', params)
                ours.append(time.perf_counter() - start)
            for _ in range(args.calls // args.rounds):
                start = time.perf_counter()
                ray.get(bare.run.remote(params['numbers']))
                peer.append(time.perf_counter() - start)
        print(f'warm actor calls: {len(ours)} each, medians')
        print(table([('warm actor call (sum of 100 ints)', median_ms(ours), median_ms(peer))]))
        executor.shutdown()
    finally:
        if head is not None:
            import ray

            ray.shutdown()
            head.stop()


if __name__ == '__main__':
    main()
