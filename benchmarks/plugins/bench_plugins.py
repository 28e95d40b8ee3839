"""Plugin-system overheads, side by side with their floors.

1. ``run_plugin(..., mode='local')`` against calling the action's ``execute()`` directly.
2. ``python -c "import synapse_sdk.plugins"`` and ``synapse --help`` against ``python -c pass``.

Usage: uv run python benchmarks/plugins/bench_plugins.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from synapse_sdk.plugins._context import RuntimeContext
from synapse_sdk.plugins.discovery import PluginDiscovery
from synapse_sdk.plugins.runner import run_plugin

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / 'examples' / 'yolo_plugin'
PARAMS = {'epochs': 1}


def per_call(fn: object, repeat: int = 2000) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) / repeat)
    return statistics.median(samples)


def wall(command: list[str], repeat: int = 15) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    discovery = PluginDiscovery.from_path(PLUGIN)
    train = discovery.get_action_class('train')
    params = train.params_model.model_validate(PARAMS)  # type: ignore[union-attr]
    ctx = RuntimeContext()

    def direct() -> None:
        train(params, ctx).execute()  # type: ignore[call-arg,union-attr]

    def through_sdk() -> None:
        run_plugin(PLUGIN, 'train', PARAMS, sinks=[])

    run_plugin(PLUGIN, 'train', PARAMS, sinks=[])  # first run imports and caches
    t_direct = per_call(direct)
    t_sdk = per_call(through_sdk, repeat=500)
    print('| measurement | median | vs floor |')
    print('| --- | --- | --- |')
    print(f'| execute() directly | {t_direct * 1e6:.1f} µs | 1.00x |')
    print(f"| run_plugin(mode='local') | {t_sdk * 1e6:.1f} µs | {t_sdk / t_direct:.2f}x |")
    print(f'| run_plugin overhead per run | {(t_sdk - t_direct) * 1e3:.3f} ms | target < 1 ms |')

    python = sys.executable
    synapse = str(Path(python).parent / 'synapse')
    bare = wall([python, '-c', 'pass'])
    plugins = wall([python, '-c', 'import synapse_sdk.plugins'])
    runner = wall([python, '-c', 'import synapse_sdk.plugins.runner'])
    help_ = wall([synapse, '--help'])
    print(f'| python -c pass | {bare * 1e3:.0f} ms | 1.00x |')
    print(f'| import synapse_sdk.plugins | {plugins * 1e3:.0f} ms | +{(plugins - bare) * 1e3:.0f} ms (target < 150) |')
    print(f'| import synapse_sdk.plugins.runner | {runner * 1e3:.0f} ms | +{(runner - bare) * 1e3:.0f} ms |')
    print(f'| synapse --help | {help_ * 1e3:.0f} ms | +{(help_ - bare) * 1e3:.0f} ms (target < 300) |')


if __name__ == '__main__':
    main()
