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


@pytest.mark.parametrize('provider', ['s3', 'sftp', 'http'])
def test_upload_and_download_of_a_large_file_keep_memory_flat(
    provider: str, provider_config_for: Any, tmp_path: Path
) -> None:
    store = get_storage(provider_config_for(provider))
    big = tmp_path / 'big.bin'
    with big.open('wb') as handle:
        for _ in range(96):
            handle.write(os.urandom(MiB))
    try:
        peak_up = _peak_during(lambda: store.upload(big, 'big.bin'))
        assert store.size('big.bin') == 96 * MiB
        peak_down = _peak_during(lambda: store.download('big.bin', tmp_path / 'back.bin'))
        assert (tmp_path / 'back.bin').stat().st_size == 96 * MiB
    finally:
        store.delete('', recursive=True)
    # 96 MiB moved; S3 holds at most 4 parts of 8 MiB in flight, the others stream in 5 MiB chunks.
    assert peak_up < 48 * MiB, peak_up
    assert peak_down < 48 * MiB, peak_down
