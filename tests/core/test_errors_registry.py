from __future__ import annotations

import pickle

import pytest

from synapse_sdk.core import (
    ArchiveError,
    ConfigError,
    DuplicateNameError,
    MissingDependencyError,
    NotFoundError,
    Registry,
    SynapseError,
)
from synapse_sdk.core._lazy import missing_distribution


def test_errors_carry_message_and_details_and_builtin_bases() -> None:
    error = NotFoundError('no such thing', details={'name': 'x'})
    assert isinstance(error, SynapseError) and isinstance(error, LookupError)
    assert error.message == 'no such thing' and error.details == {'name': 'x'}
    assert isinstance(ConfigError('x'), ValueError)
    assert isinstance(MissingDependencyError('x'), ImportError)
    assert isinstance(ArchiveError('x'), ValueError)


def test_errors_survive_pickling_with_details() -> None:
    error = pickle.loads(pickle.dumps(NotFoundError('gone', details={'k': 1})))
    assert type(error) is NotFoundError and error.message == 'gone' and error.details == {'k': 1}


def test_registry_loads_lazily_with_aliases() -> None:
    registry: Registry[object] = Registry('widget')
    registry.register('json', 'json:dumps', aliases=['JS'])
    assert registry.load('js') is registry.load('JSON')
    assert registry.canonical('Js') == 'json'
    assert 'js' in registry and 'yaml' not in registry
    assert registry.names() == ['json'] and registry.names(include_aliases=True) == ['js', 'json']


def test_registry_refuses_duplicates_unless_clobbered() -> None:
    registry: Registry[object] = Registry('widget')
    registry.register('a', 'json:dumps', aliases=['b'])
    registry.register('a', 'json:dumps')  # same target again is fine
    with pytest.raises(DuplicateNameError, match="'b' is already registered"):
        registry.register('c', 'json:loads', aliases=['b'])
    registry.register('a', 'json:loads', clobber=True)
    import json

    assert registry.load('a') is json.loads


def test_registry_unknown_name_lists_choices() -> None:
    registry: Registry[object] = Registry('storage provider')
    registry.register('local', 'json:dumps', aliases=['file_system'])
    with pytest.raises(NotFoundError, match="unknown storage provider 'nope'; available: file_system, local"):
        registry.load('nope')


def test_registry_missing_module_gives_install_hint() -> None:
    registry: Registry[object] = Registry('storage provider')
    registry.register('s3', 'not_installed_module_xyz:S3', install_hint='pip install "synapse-sdk[s3]"')
    with pytest.raises(MissingDependencyError, match=r'pip install "synapse-sdk\[s3\]"') as info:
        registry.load('s3')
    assert isinstance(info.value, ImportError)


def test_missing_distribution_only_hints_for_the_owner_itself() -> None:
    owner_missing = ModuleNotFoundError("No module named 'synapse_sdk.ray'", name='synapse_sdk.ray')
    hint = missing_distribution(owner_missing, 'synapse_sdk.ray._task', 'ray')
    assert isinstance(hint, MissingDependencyError)
    assert 'pip install "synapse-sdk[ray]"' in str(hint)
    inner_missing = ModuleNotFoundError("No module named 'torch'", name='torch')
    assert missing_distribution(inner_missing, 'synapse_sdk.ray._task', 'ray') is inner_missing
