"""Benchmark the converters against supervision, globox, datumaro and a hand-written floor.

    uv run python benchmarks/converters/run.py --images 10000

Peers run in a separate, throw-away environment (``uv run --no-project --with ...``), so they never
enter the workspace's lock or default sync. Each (pair, tool) runs in a fresh process; the table
shows median seconds, peak RSS and ratios to synapse (>1 means synapse is faster / smaller).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import CLASSES, generate  # noqa: E402

PEERS = {
    'globox': 'globox==2.9.0',
    'supervision': 'supervision==0.31.2',
    'datumaro': 'datumaro==1.13.12',
}
PAIRS = [('coco', 'yolo'), ('coco', 'pascal'), ('yolo', 'coco'), ('dm_v2', 'yolo'), ('dm_v2', 'coco')]
SUPPORTS = {  # which tools can do which pair (nobody else reads DM)
    'synapse': set(PAIRS),
    'floor': set(PAIRS),
    'globox': {('coco', 'yolo'), ('coco', 'pascal'), ('yolo', 'coco')},
    'supervision': {('coco', 'yolo'), ('coco', 'pascal'), ('yolo', 'coco')},
    'datumaro': {('coco', 'yolo'), ('coco', 'pascal'), ('yolo', 'coco')},
}


def command(tool: str) -> list[str]:
    if tool in PEERS:
        return ['uv', 'run', '--no-project', '--quiet', '--with', PEERS[tool], '--with', 'orjson', 'python']
    return [sys.executable]


MEMORY_LIMIT_GB = 8


def _limit_memory() -> None:
    # supervision rasterises every polygon into a full-image mask; cap a run so it cannot take the machine
    import resource

    limit = MEMORY_LIMIT_GB * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_once(tool: str, pair: tuple[str, str], data: Path, timeout: float) -> dict[str, float] | str:
    with tempfile.TemporaryDirectory(dir=data.parent) as scratch:
        out = Path(scratch) / 'out'
        try:
            done = subprocess.run(
                [*command(tool), str(HERE / 'worker.py'), tool, *pair, str(data), str(out)],
                capture_output=True,
                text=True,
                timeout=timeout,
                preexec_fn=_limit_memory,
            )
        except subprocess.TimeoutExpired:
            return f'timeout > {timeout:.0f} s'
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ['?'])[-1]
        if 'MemoryError' in done.stderr or done.returncode in (-9, 137):
            return f'out of memory (> {MEMORY_LIMIT_GB} GB address space)'
        return f'failed: {last[:90]}'
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(tool: str, pair: tuple[str, str], data: Path, repeats: int, timeout: float) -> dict[str, object]:
    runs: list[dict[str, float]] = []
    for attempt in range(repeats):
        result = run_once(tool, pair, data, timeout)
        if isinstance(result, str):
            return {'error': result}
        runs.append(result)
        if attempt == 0 and result['seconds'] > 30:  # slow peers: one run is enough to rank them
            break
    return {
        'seconds': statistics.median(r['seconds'] for r in runs),
        'rss_mb': max(r['rss_mb'] for r in runs),
        'runs': len(runs),
    }


def ensure_data(root: Path, images: int) -> Path:
    marker = root / f'.complete-{images}'
    if not marker.exists():
        generate(root, images)
        marker.touch()
    (root / 'coco_names.txt').write_text('\n'.join(CLASSES) + '\n')
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--images', type=int, default=10_000)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--data', type=Path, default=Path(tempfile.gettempdir()) / 'synapse-converter-bench')
    parser.add_argument('--tools', default='synapse,floor,globox,supervision,datumaro')
    parser.add_argument('--scales', default='', help='extra image counts for the memory-growth check, e.g. 2500,5000')
    parser.add_argument('--timeout', type=float, default=900)
    parser.add_argument('--json', type=Path, help='also write the raw results here')
    args = parser.parse_args()
    tools = args.tools.split(',')
    if any(t in PEERS for t in tools) and shutil.which('uv') is None:
        sys.exit('uv is needed to run the peers in their own environment')
    data = ensure_data(args.data / str(args.images), args.images)
    results: dict[str, dict[str, dict[str, object]]] = {}
    for pair in PAIRS:
        key = f'{pair[0]} -> {pair[1]}'
        results[key] = {}
        for tool in tools:
            if pair in SUPPORTS[tool]:
                started = time.perf_counter()
                results[key][tool] = measure(tool, pair, data, args.repeats, args.timeout)
                print(
                    f'{key:18} {tool:12} {results[key][tool]}  ({time.perf_counter() - started:.0f} s)', file=sys.stderr
                )
    print_table(results, args.images)
    growth = {}
    for scale in [int(s) for s in args.scales.split(',') if s]:
        scaled = ensure_data(args.data / str(scale), scale)
        growth[scale] = {f'{a} -> {b}': measure('synapse', (a, b), scaled, 1, args.timeout) for a, b in PAIRS}
    if growth:
        growth[args.images] = {key: by_tool['synapse'] for key, by_tool in results.items()}
        print_growth(growth)
    if args.json:
        args.json.write_text(json.dumps({'images': args.images, 'results': results, 'growth': growth}, indent=2))


def print_table(results: dict[str, dict[str, dict[str, object]]], images: int) -> None:
    print(f'\n### {images} images (~10 boxes + 2 polygons each); median seconds, peak RSS\n')
    print('| pair | tool | median s | peak RSS MB | time / synapse | RSS / synapse |')
    print('|---|---|---:|---:|---:|---:|')
    for key, by_tool in results.items():
        ours = by_tool.get('synapse', {})
        for tool, result in by_tool.items():
            if 'error' in result:
                print(f'| {key} | {tool} | {result["error"]} | | | |')
                continue
            seconds, rss = float(result['seconds']), float(result['rss_mb'])  # type: ignore[arg-type]
            ratio_t = ratio_m = ''
            if 'seconds' in ours:
                ratio_t = f'{seconds / float(ours["seconds"]):.2f}x'  # type: ignore[arg-type]
                ratio_m = f'{rss / float(ours["rss_mb"]):.2f}x'  # type: ignore[arg-type]
            runs = '' if result.get('runs', 1) != 1 else ' (1 run)'
            print(f'| {key} | {tool} | {seconds:.2f}{runs} | {rss:.0f} | {ratio_t} | {ratio_m} |')


def print_growth(growth: dict[int, dict[str, dict[str, object]]]) -> None:
    print('\n### synapse peak RSS (MB) as the image count grows\n')
    scales = sorted(growth)
    print('| pair | ' + ' | '.join(f'{s} images' for s in scales) + ' |')
    print('|---|' + '---:|' * len(scales))
    for key in growth[scales[0]]:
        cells = []
        for s in scales:
            result = growth[s].get(key, {})
            cells.append(f'{float(result["rss_mb"]):.0f}' if 'rss_mb' in result else '-')  # type: ignore[arg-type]
        print(f'| {key} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
