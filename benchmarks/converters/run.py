"""Benchmark the converters against supervision, globox, datumaro and a hand-written floor.

    uv run python benchmarks/converters/run.py --images 10000

Peers run in a separate, throw-away environment (``uv run --no-project --with ...``), so they never
enter the workspace's lock or default sync. Each (pair, tool) runs in a fresh process; the table
shows median seconds, peak RSS and ratios to synapse (>1 means synapse is faster / smaller).
``synapse-w2`` is synapse with ``workers=2`` (per-image targets); its CPU seconds add the workers'
and its peak RSS is the largest one process reached. ``synapse-x2`` is two one-process synapse runs
at the same time (its wall time the slower one's): on a machine whose cores slow each other down,
``2 x synapse / synapse-x2`` is the most any split of the work over two processes can gain there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import CLASSES  # noqa: E402

PEERS = {
    'globox': 'globox==2.9.0',
    'supervision': 'supervision==0.31.2',
    'datumaro': 'datumaro==1.13.12',
}
PAIRS = [('coco', 'yolo'), ('coco', 'pascal'), ('yolo', 'coco'), ('dm_v2', 'yolo'), ('dm_v2', 'coco')]
# the formats of issue 14: CVAT both ways against Datumaro; the others have no peer that reads our input
FORMAT_PAIRS = [('coco', 'cvat'), ('cvat', 'coco'), ('cvat', 'yolo'), ('dm_v2', 'cvat')]
FORMAT_PAIRS += [('dm_v2', 'labelme'), ('dm_v2', 'label_studio'), ('dm_v2', 'yolo_obb')]
#: per-image targets: synapse-w2 is synapse with workers=2 (the other targets write one file)
PARALLEL = {pair for pair in PAIRS + FORMAT_PAIRS if pair[1] in ('yolo', 'pascal', 'yolo_obb')}
SUPPORTS = {  # which tools can do which pair (nobody else reads DM)
    'synapse': set(PAIRS) | set(FORMAT_PAIRS),
    'synapse-w2': PARALLEL,
    'synapse-x2': PARALLEL,
    'floor': set(PAIRS),
    'globox': {('coco', 'yolo'), ('coco', 'pascal'), ('yolo', 'coco')},
    'supervision': {('coco', 'yolo'), ('coco', 'pascal'), ('yolo', 'coco')},
    'datumaro': {('coco', 'yolo'), ('coco', 'pascal'), ('yolo', 'coco'), ('coco', 'cvat'), ('cvat', 'coco')}
    | {('cvat', 'yolo')},
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


#: Outputs are kept until the whole run ends. On an ext4 without a journal (this machine's disk),
#: creating a file skips, one lookup each, every inode of its group freed in the last 5-35 s: deleting
#: one run's 10,000 files just before the next run made that run's file creation 10x slower (kernel
#: ``recently_deleted``, seen with ``perf``), whichever tool came next.
OUTPUTS = Path(tempfile.gettempdir()) / f'synapse-converter-bench-out-{os.getpid()}'


def run_once(tool: str, pair: tuple[str, str], data: Path, timeout: float) -> dict[str, float] | str:
    if tool == 'synapse-x2':
        return _run_twice(pair, data, timeout)
    OUTPUTS.mkdir(exist_ok=True)
    out = Path(tempfile.mkdtemp(dir=OUTPUTS)) / 'out'
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


def _run_twice(pair: tuple[str, str], data: Path, timeout: float) -> dict[str, float] | str:
    """Two one-process synapse runs started together: the slower one's time, both runs' CPU."""
    OUTPUTS.mkdir(exist_ok=True)
    outs = [Path(tempfile.mkdtemp(dir=OUTPUTS)) / 'out' for _ in range(2)]
    command = [sys.executable, str(HERE / 'worker.py'), 'synapse', *pair, str(data)]
    runs = [subprocess.Popen([*command, str(out)], stdout=subprocess.PIPE, text=True) for out in outs]
    try:
        found = [json.loads(run.communicate(timeout=timeout)[0].strip().splitlines()[-1]) for run in runs]
    except (subprocess.TimeoutExpired, IndexError, json.JSONDecodeError):
        for run in runs:
            run.kill()
        return 'failed: a run of the pair did not finish'
    return {
        'seconds': max(r['seconds'] for r in found),
        'cpu': sum(r['cpu'] for r in found),
        'cpu_main': sum(r['cpu_main'] for r in found),
        'cpu_system': sum(r['cpu_system'] for r in found),
        'rss_mb': max(r['rss_mb'] for r in found),
    }


def summarise(runs: list[dict[str, float] | str]) -> dict[str, object]:
    errors = [r for r in runs if isinstance(r, str)]
    good = [r for r in runs if not isinstance(r, str)]
    if not good:
        return {'error': errors[0] if errors else 'not run'}
    return {
        'seconds': statistics.median(r['seconds'] for r in good),
        'cpu': statistics.median(r['cpu'] for r in good),
        'rss_mb': max(r['rss_mb'] for r in good),
        'runs': len(good),
    }


def measure_pair(
    pair: tuple[str, str], tools: list[str], data: Path, repeats: int, timeout: float
) -> dict[str, dict[str, object]]:
    """Run the tools round-robin, so a busy moment on the machine hits them all alike."""
    runs: dict[str, list[dict[str, float] | str]] = {t: [] for t in tools if pair in SUPPORTS[t]}
    for attempt in range(repeats):
        for tool, done in runs.items():
            if done and (isinstance(done[0], str) or (attempt and done[0]['seconds'] > 30)):
                continue  # failed, or slow enough that one run ranks it
            started = time.perf_counter()
            done.append(run_once(tool, pair, data, timeout))
            print(
                f'{pair[0]} -> {pair[1]:8} {tool:12} {done[-1]}  ({time.perf_counter() - started:.0f} s)',
                file=sys.stderr,
            )
    return {tool: summarise(done) for tool, done in runs.items()}


def ensure_data(root: Path, images: int) -> Path:
    marker = root / f'.complete-{images}'
    if not marker.exists():
        # in a child process: a forked worker inherits this process's peak RSS, so keep this one small
        subprocess.run([sys.executable, str(HERE / 'generate.py'), str(root), '--images', str(images)], check=True)
        marker.touch()
    (root / 'coco_names.txt').write_text('\n'.join(CLASSES) + '\n')
    if not (root / 'cvat' / 'annotations.xml').is_file():  # CVAT input: the COCO data written by the SDK
        code = (
            'import sys; from synapse_sdk.utils.converters import get_converter; '
            "get_converter('coco', 'cvat', root_dir=sys.argv[1], images='link').save_to_folder(sys.argv[2])"
        )
        subprocess.run([sys.executable, '-c', code, str(root / 'coco'), str(root / 'cvat')], check=True)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--images', type=int, default=10_000)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--data', type=Path, default=Path(tempfile.gettempdir()) / 'synapse-converter-bench')
    parser.add_argument('--tools', default='synapse,synapse-w2,floor,globox,supervision,datumaro')
    parser.add_argument('--pairs', default='', help='only these pairs, e.g. coco:yolo,coco:pascal (default: all)')
    parser.add_argument(
        '--sizes',
        '--scales',
        dest='sizes',
        default='',
        help='extra image counts for the peak-RSS growth table (synapse and floor), e.g. 2500,5000',
    )
    parser.add_argument('--timeout', type=float, default=900)
    parser.add_argument('--json', type=Path, help='also write the raw results here')
    parser.add_argument('--check', action='store_true', help='first check the floor writes what synapse writes')
    args = parser.parse_args()
    tools = args.tools.split(',')
    if any(t in PEERS for t in tools) and shutil.which('uv') is None:
        sys.exit('uv is needed to run the peers in their own environment')
    known = PAIRS + FORMAT_PAIRS
    named = [p.split(':', 1) for p in args.pairs.split(',') if p]
    pairs = [(p[0], p[-1]) for p in named] or PAIRS
    unknown = [p for p in pairs if p not in known]
    if unknown:
        sys.exit(f'unknown pairs {unknown}; known: {",".join(a + ":" + b for a, b in known)}')
    data = ensure_data(args.data / str(args.images), args.images)
    try:
        if args.check:
            check_floor(data, [p for p in pairs if p in SUPPORTS['floor'] and p[1] == 'yolo'])
        measure_all(args, tools, pairs, data)
    finally:
        shutil.rmtree(OUTPUTS, ignore_errors=True)


def check_floor(data: Path, pairs: list[tuple[str, str]]) -> None:
    """The floor is only a floor if it writes the same label files as synapse: compare them."""
    for pair in pairs:
        outs = {}
        for tool in ('synapse', 'floor'):
            OUTPUTS.mkdir(exist_ok=True)
            outs[tool] = Path(tempfile.mkdtemp(dir=OUTPUTS)) / 'out'
            command = [sys.executable, str(HERE / 'worker.py'), tool, *pair, str(data), str(outs[tool])]
            subprocess.run(command, check=True, capture_output=True)
        ours, floors = (outs[t] / 'labels' for t in ('synapse', 'floor'))
        names = sorted(os.listdir(ours))
        if names != sorted(os.listdir(floors)):
            sys.exit(f'{pair[0]} -> {pair[1]}: the floor writes other label files than synapse')
        differ = [n for n in names if (ours / n).read_bytes() != (floors / n).read_bytes()]
        if differ:
            sys.exit(f'{pair[0]} -> {pair[1]}: {len(differ)} label files differ from synapse, e.g. {differ[0]}')
        print(f'{pair[0]} -> {pair[1]}: the floor writes the same {len(names)} label files as synapse', file=sys.stderr)


def measure_all(args: argparse.Namespace, tools: list[str], pairs: list[tuple[str, str]], data: Path) -> None:
    results: dict[str, dict[str, dict[str, object]]] = {}
    for pair in pairs:
        results[f'{pair[0]} -> {pair[1]}'] = measure_pair(pair, tools, data, args.repeats, args.timeout)
    print_table(results, args.images)
    growth: dict[int, dict[str, dict[str, dict[str, object]]]] = {}
    growth_tools: list[str] = [t for t in ('synapse', 'synapse-w2', 'floor') if t in tools]
    for size in sorted({int(s) for s in args.sizes.split(',') if s} - {args.images}):
        scaled = ensure_data(args.data / str(size), size)
        growth[size] = {f'{a} -> {b}': measure_pair((a, b), growth_tools, scaled, 1, args.timeout) for a, b in pairs}
    if growth:
        growth[args.images] = results
        print_growth(growth, growth_tools)
    if args.json:
        args.json.write_text(json.dumps({'images': args.images, 'results': results, 'growth': growth}, indent=2))


def print_table(results: dict[str, dict[str, dict[str, object]]], images: int) -> None:
    print(f'\n### {images} images (~10 boxes + 2 polygons each): median wall and CPU seconds, peak RSS\n')
    print('| pair | tool | wall s | CPU s | peak RSS MB | wall / synapse | CPU / synapse | RSS / synapse |')
    print('|---|---|---:|---:|---:|---:|---:|---:|')
    for key, by_tool in results.items():
        ours = by_tool.get('synapse', {})
        for tool, result in by_tool.items():
            if 'error' in result:
                print(f'| {key} | {tool} | {result["error"]} | | | | | |')
                continue
            seconds, cpu, rss = (float(result[k]) for k in ('seconds', 'cpu', 'rss_mb'))  # type: ignore[arg-type]
            ratios = ['', '', '']
            if 'seconds' in ours:
                base = [float(ours[k]) for k in ('seconds', 'cpu', 'rss_mb')]  # type: ignore[arg-type]
                ratios = [f'{value / ref:.2f}x' for value, ref in zip((seconds, cpu, rss), base, strict=True)]
            runs = '' if result.get('runs', 1) != 1 else ' (1 run)'
            print(f'| {key} | {tool} | {seconds:.2f}{runs} | {cpu:.2f} | {rss:.0f} | ' + ' | '.join(ratios) + ' |')


def print_growth(growth: dict[int, dict[str, dict[str, dict[str, object]]]], tools: list[str]) -> None:
    print('\n### peak RSS (MB) as the image count grows\n')
    sizes = sorted(growth)
    print('| pair | tool | ' + ' | '.join(f'{s} images' for s in sizes) + ' |')
    print('|---|---|' + '---:|' * len(sizes))
    for key in growth[sizes[0]]:
        for tool in tools:
            cells = []
            for s in sizes:
                result = growth[s].get(key, {}).get(tool, {})
                cells.append(f'{float(result["rss_mb"]):.0f}' if 'rss_mb' in result else '-')  # type: ignore[arg-type]
            print(f'| {key} | {tool} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
