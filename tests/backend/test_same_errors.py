"""The same protocol call fails with the same error type on the platform client and the local backend."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from synapse_sdk.clients._backend.client import BackendClient
from synapse_sdk.clients._local.backend import LocalBackend
from synapse_sdk.core.errors import MissingFileError, NotFoundError


@pytest.mark.parametrize('kind', ['platform', 'local'])
def test_create_model_with_a_missing_file(kind: str, tmp_path: Path) -> None:
    client = (
        BackendClient('http://127.0.0.1:9', 'token-not-used') if kind == 'platform' else LocalBackend(tmp_path / 'home')
    )
    missing = tmp_path / 'weights.pt'
    with pytest.raises(MissingFileError) as info:
        client.create_model(missing, name='m')
    error = info.value
    # Code written against either builtin family keeps working.
    assert isinstance(error, FileNotFoundError) and isinstance(error, NotFoundError)
    assert error.details == {'path': str(missing)}
    copy = pickle.loads(pickle.dumps(error))  # Ray ships errors between processes
    assert type(copy) is MissingFileError and str(copy) == str(error) and copy.details == error.details


@pytest.mark.parametrize('kind', ['folder', 'provider'])
def test_file_store_download_of_a_missing_key(kind: str, tmp_path: Path) -> None:
    from synapse_sdk.clients._local.store import LocalFileStore, ProviderStore
    from synapse_sdk.utils.storage import get_storage

    root = tmp_path / 'store'
    store = (
        LocalFileStore(root)
        if kind == 'folder'
        else ProviderStore(get_storage({'provider': 'local', 'configuration': {'location': str(root)}}))
    )
    with pytest.raises(MissingFileError) as info:  # the same type whichever store the backend was given
        store.download('models/missing.pt', tmp_path / 'out.pt')
    assert isinstance(info.value, FileNotFoundError) and 'missing.pt' in str(info.value)
