"""Helpers that read a plugin config without loading its code (v1-compatible names)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from synapse_sdk.plugins._config import ActionConfig, PluginConfig, load_plugin_config
from synapse_sdk.plugins.enums import RunMethod
from synapse_sdk.plugins.errors import ActionNotFoundError, PluginConfigError
from synapse_sdk.utils.file._requirements import read_requirements

ConfigLike = Mapping[str, Any] | PluginConfig | str | os.PathLike[str]

__all__ = ['get_action_class', 'get_action_config', 'get_action_method', 'get_plugin_actions', 'read_requirements']


def _actions(config: ConfigLike) -> dict[str, Any]:
    if isinstance(config, PluginConfig):
        return dict(config.actions)
    if isinstance(config, Mapping):
        actions = config.get('actions') or {}
        if not isinstance(actions, Mapping):
            raise PluginConfigError(f"'actions' must be a mapping of action names, got {type(actions).__name__}")
        return dict(actions)
    if isinstance(config, (str, os.PathLike)):
        return dict(load_plugin_config(config)[0].actions)
    raise TypeError(f'expected a config dict, PluginConfig or plugin path, got {type(config).__name__}')


def get_plugin_actions(config: ConfigLike) -> list[str]:
    """Action names, in config order: ``get_plugin_actions({'actions': {'train': {}}})`` -> ``['train']``."""
    return list(_actions(config))


def get_action_config(config: ConfigLike, action: str) -> dict[str, Any]:
    """The action's configuration as a dict, including its ``name``."""
    actions = _actions(config)
    if action not in actions:
        raise ActionNotFoundError(action, list(actions))
    value = actions[action]
    if isinstance(value, ActionConfig):
        return value.model_dump(mode='json')
    return {'name': action, **dict(value or {})}


def get_action_method(config: ConfigLike, action: str) -> RunMethod:
    """How the action runs (``RunMethod``), read from the config alone; ``task`` when unset."""
    raw = get_action_config(config, action).get('method') or RunMethod.TASK
    try:
        return ActionConfig.model_validate({'method': raw}).method
    except ValidationError:
        allowed = ', '.join(m.value for m in RunMethod)
        raise PluginConfigError(
            f'Action {action!r} has method {raw!r}; use one of: {allowed}', details={'action': action, 'method': raw}
        ) from None


def get_action_class(*args: Any, **kwargs: Any) -> Any:
    """Removed in v2: the run method is read from the config now."""
    raise TypeError(
        'get_action_class(category, action) was removed in synapse-sdk v2. '
        'Use get_action_method(config, action) for the run method, or '
        'PluginDiscovery.from_path(path).get_action_class(action) to load the action.'
    )
