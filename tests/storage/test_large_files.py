"""Large files stream: client memory stays flat whatever the file size."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.storage import get_storage

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


def _peak_during(action: Any) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# (provider, file size, bound): S3 keeps 4 parts of 8 MiB in flight (botocore copies some);
# SFTP and HTTP stream in small chunks. Every bound is well below the file size.
CASES = [('s3', 128, 96), ('sftp', 64, 24), ('http', 64, 24)]


@pytest.mark.parametrize(('provider', 'size_mib', 'bound_mib'), CASES)
def test_upload_and_download_of_a_large_file_keep_memory_flat(
    provider: str, size_mib: int, bound_mib: int, provider_config_for: Any, tmp_path: Path
) -> None:
    store = get_storage(provider_config_for(provider))
    big = tmp_path / 'big.bin'
    with big.open('wb') as handle:
        for _ in range(size_mib):
            handle.write(os.urandom(MiB))
    try:
        peak_up = _peak_during(lambda: store.upload(big, 'big.bin'))
        assert store.size('big.bin') == size_mib * MiB
        peak_down = _peak_during(lambda: store.download('big.bin', tmp_path / 'back.bin'))
        assert (tmp_path / 'back.bin').stat().st_size == size_mib * MiB
    finally:
        store.delete('', recursive=True)
    assert peak_up < bound_mib * MiB, peak_up
    assert peak_down < bound_mib * MiB, peak_down
