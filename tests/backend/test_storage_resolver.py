"""One resolver for storage configurations: the embedded backend validates them like get_storage does."""

from __future__ import annotations

from pathlib import Path

import pytest

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.clients._local.store import resolve_storage
from synapse_sdk.plugins.actions._datasets import resolve_storage as plugins_resolve_storage
from synapse_sdk.utils.storage.errors import StorageConfigError


def test_the_local_backend_refuses_a_misspelled_storage_key(tmp_path: Path) -> None:
    config = {'provider': 'local', 'configuration': {'location': str(tmp_path / 's'), 'locaton': 'x'}}
    with pytest.raises(StorageConfigError, match="'locaton' \\(did you mean 'location'\\?\\)"):
        LocalBackend(tmp_path / 'home', storage=config)


def test_plugins_use_the_same_resolver() -> None:
    assert plugins_resolve_storage is resolve_storage
