"""S3 bulk transfer and listing benchmark against a local SeaweedFS server.

    uv run python benchmarks/storage/bench_s3.py [--repeat 3] [--small 2000] [--large 20] [--keys 20000]

Uploads N x 4 KiB and M x 20 MiB files with:
  synapse      S3Storage.upload_many (obstore fast path when installed)
  synapse-s3fs S3Storage.upload_many with the fast path off (s3fs, 16 threads)
  boto3-16     boto3 upload_file on a 16-thread pool
  s3fs-tuned   s3fs put(list, list) with max_pool_connections=64, batch_size=64
  obstore      raw obstore put_async, 64 in flight
  aws-cli      `aws s3 cp --recursive` (if `uvx --from awscli aws` works)
and counts/sizes K keys with synapse get_path_file_count/total_size vs boto3's paginator vs
s3fs find. Prints medians and the ratio to the fastest peer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seaweed import KEY, SECRET, seaweedfs

BUCKET = 'bench'
OURS = ('synapse', 'synapse-s3fs')


def make_files(root: Path, count: int, size: int) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    block = os.urandom(size)
    paths = []
    for i in range(count):
        path = root / f'f{i:05d}.bin'
        path.write_bytes(block[i % 7 :] + block[: i % 7])
        paths.append(path)
    return paths


def synapse_config(endpoint: str, prefix: str, **extra: object) -> dict[str, object]:
    return {
        'provider': 's3',
        'configuration': {
            'bucket_name': BUCKET, 'access_key': KEY, 'secret_key': SECRET, 'endpoint_url': endpoint,
            'root_path': prefix, **extra,
        },
    }  # fmt: skip


def run_synapse(endpoint: str, files: list[Path], prefix: str, fast: bool = True) -> None:
    from synapse_sdk.utils.storage import get_storage

    store = get_storage(synapse_config(endpoint, prefix, use_obstore=fast))
    store.upload_many([(p, p.name) for p in files])


def run_boto3(endpoint: str, files: list[Path], prefix: str) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        's3', endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET, region_name='us-east-1',
        config=Config(max_pool_connections=16, s3={'addressing_style': 'path'}),
    )  # fmt: skip
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda p: client.upload_file(str(p), BUCKET, f'{prefix}/{p.name}'), files))


def run_s3fs(endpoint: str, files: list[Path], prefix: str) -> None:
    import s3fs

    fs = s3fs.S3FileSystem(
        key=KEY, secret=SECRET, endpoint_url=endpoint, skip_instance_cache=True,
        config_kwargs={'max_pool_connections': 64, 's3': {'addressing_style': 'path'}},
    )  # fmt: skip
    fs.put([str(p) for p in files], [f'{BUCKET}/{prefix}/{p.name}' for p in files], batch_size=64)


def run_obstore(endpoint: str, files: list[Path], prefix: str) -> None:
    import obstore
    from obstore.store import S3Store

    store = S3Store(
        BUCKET, endpoint=endpoint, access_key_id=KEY, secret_access_key=SECRET, region='us-east-1',
        virtual_hosted_style_request=False, client_options={'allow_http': True},
    )  # fmt: skip

    async def go() -> None:
        limit = asyncio.Semaphore(64)

        async def one(path: Path) -> None:
            async with limit:
                await obstore.put_async(store, f'{prefix}/{path.name}', path)

        await asyncio.gather(*(one(p) for p in files))

    asyncio.run(go())


def aws_cli() -> list[str] | None:
    uvx = shutil.which('uvx')
    candidates = [['aws'], [uvx, '--from', 'awscli', 'aws']] if uvx else [['aws']]
    for command in candidates:
        if command[0] and shutil.which(command[0]):
            ok = subprocess.run([*command, '--version'], capture_output=True, timeout=300)
            if ok.returncode == 0:
                return command
    return None


def run_aws(command: list[str], endpoint: str, source: Path, prefix: str) -> None:
    env = {**os.environ, 'AWS_ACCESS_KEY_ID': KEY, 'AWS_SECRET_ACCESS_KEY': SECRET, 'AWS_DEFAULT_REGION': 'us-east-1'}
    subprocess.run(
        [*command, 's3', 'cp', '--recursive', '--only-show-errors', '--endpoint-url', endpoint, str(source),
         f's3://{BUCKET}/{prefix}/'],
        check=True, env=env,
    )  # fmt: skip


def round_robin(runs: dict[str, Callable[[str], None]], repeat: int) -> dict[str, float]:
    """Median seconds per contender, interleaved so that load drifts hit all alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for round_number in range(repeat):
        # Rotate the order: SeaweedFS is still busy for a while after a burst, so whoever runs
        # right after the slowest peer pays for it. Rotating spreads that cost evenly.
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            function = runs[name]
            prefix = f'run-{uuid.uuid4().hex[:8]}'
            started = time.perf_counter()
            function(prefix)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def table(title: str, results: dict[str, float], ours: tuple[str, ...]) -> None:
    peers = {k: v for k, v in results.items() if k not in ours}
    best_name = min(peers, key=lambda k: peers[k])
    print(f'\n{title}  (median seconds; ratio = time / fastest peer {best_name})')
    for name, seconds in sorted(results.items(), key=lambda kv: kv[1]):
        print(f'  {name:<14} {seconds:8.2f} s   x{seconds / peers[best_name]:.2f}')


def bench_uploads(
    endpoint: str, files: list[Path], source: Path, repeat: int, aws: list[str] | None
) -> dict[str, float]:
    runs: dict[str, Callable[[str], None]] = {
        'synapse': lambda p: run_synapse(endpoint, files, p),
        'synapse-s3fs': lambda p: run_synapse(endpoint, files, p, fast=False),
        'boto3-16': lambda p: run_boto3(endpoint, files, p),
        's3fs-tuned': lambda p: run_s3fs(endpoint, files, p),
        'obstore': lambda p: run_obstore(endpoint, files, p),
    }
    if aws:
        runs['aws-cli'] = lambda p: run_aws(aws, endpoint, source, p)
    return round_robin(runs, repeat)


def bench_listing(endpoint: str, keys: int, repeat: int) -> dict[str, float]:
    import boto3
    import s3fs
    from botocore.config import Config

    from synapse_sdk.utils.storage import get_path_file_count, get_path_total_size, get_storage

    prefix = f'many-{uuid.uuid4().hex[:6]}'
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp), keys, 16)
        get_storage(synapse_config(endpoint, prefix)).upload_many([(p, p.name) for p in files])
    config = synapse_config(endpoint, prefix)
    expected = (keys, keys * 16)

    def synapse(_: str) -> None:
        assert (get_path_file_count(config, '/'), get_path_total_size(config, '/')) == expected

    def synapse_stats(_: str) -> None:
        assert get_storage(config).stats('') == expected

    def boto(_: str) -> None:
        client = boto3.client(
            's3', endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
            region_name='us-east-1', config=Config(s3={'addressing_style': 'path'}),
        )  # fmt: skip
        count = size = 0
        for page in client.get_paginator('list_objects_v2').paginate(Bucket=BUCKET, Prefix=prefix + '/'):
            for item in page.get('Contents', []):
                count += 1
                size += item['Size']
        assert (count, size) == expected

    def s3fs_find(_: str) -> None:
        fs = s3fs.S3FileSystem(
            key=KEY, secret=SECRET, endpoint_url=endpoint, skip_instance_cache=True,
            config_kwargs={'s3': {'addressing_style': 'path'}},
        )  # fmt: skip
        found = fs.find(f'{BUCKET}/{prefix}', detail=True)
        files = [v for v in found.values() if v['type'] == 'file']
        assert (len(files), sum(v['size'] for v in files)) == expected

    runs = {
        'synapse-count+size': synapse,
        'synapse-stats': synapse_stats,
        'boto3-paginator': boto,
        's3fs-find': s3fs_find,
    }
    return round_robin(runs, repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--small', type=int, default=2000)
    parser.add_argument('--large', type=int, default=20)
    parser.add_argument('--keys', type=int, default=20000)
    parser.add_argument('--no-aws', action='store_true')
    parser.add_argument('--only', choices=['small', 'large', 'list'], action='append')
    args = parser.parse_args()
    only = set(args.only or ['small', 'large', 'list'])
    aws = None if args.no_aws else aws_cli()
    print(f'aws cli: {" ".join(aws) if aws else "not available"}; cpus: {os.cpu_count()}')
    with seaweedfs() as endpoint, tempfile.TemporaryDirectory() as tmp:
        import s3fs

        s3fs.S3FileSystem(
            key=KEY, secret=SECRET, endpoint_url=endpoint, config_kwargs={'s3': {'addressing_style': 'path'}}
        ).mkdir(BUCKET)
        if 'small' in only:
            small = make_files(Path(tmp) / 'small', args.small, 4096)
            results = bench_uploads(endpoint, small, Path(tmp) / 'small', args.repeat, aws)
            table(f'upload {args.small} x 4 KiB', results, OURS)
        if 'large' in only:
            large = make_files(Path(tmp) / 'large', args.large, 20 * 1024 * 1024)
            results = bench_uploads(endpoint, large, Path(tmp) / 'large', args.repeat, aws)
            table(f'upload {args.large} x 20 MiB', results, OURS)
        if 'list' in only:
            results = bench_listing(endpoint, args.keys, args.repeat)
            table(f'count + size {args.keys} keys', results, ('synapse-count+size', 'synapse-stats'))


if __name__ == '__main__':
    main()
