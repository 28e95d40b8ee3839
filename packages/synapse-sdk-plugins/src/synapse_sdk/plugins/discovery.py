"""Find a plugin's actions from its ``config.yaml`` or by looking into a Python module."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from synapse_sdk.plugins._config import ActionConfig, PluginConfig, load_plugin_config
from synapse_sdk.plugins._dispatch import (
    ActionTarget,
    action_spec,
    entrypoint_of,
    is_action,
    load_entrypoint,
    split_entrypoint,
)
from synapse_sdk.plugins.enums import PluginCategory, RunMethod
from synapse_sdk.plugins.errors import ActionNotFoundError, EntrypointError

# from_path results, keyed by config file and its (mtime, size): re-reading YAML on every run is slow.
_PATH_CACHE: dict[Path, tuple[tuple[int, int], PluginConfig]] = {}


class PluginDiscovery:
    """Introspection of one plugin. Never changes the user's classes."""

    def __init__(
        self,
        config: PluginConfig,
        *,
        path: str | os.PathLike[str] | None = None,
        targets: dict[str, ActionTarget] | None = None,
        config_file: Path | None = None,
    ) -> None:
        self.config = config
        self.path = Path(os.path.abspath(path)) if path is not None else None
        self.config_file = config_file
        self._targets: dict[str, ActionTarget] = dict(targets or {})

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> PluginDiscovery:
        """A plugin folder (its ``config.yaml`` or ``synapse.yaml``) or the YAML file itself."""
        from synapse_sdk.plugins._config import find_config_file

        file = Path(os.path.realpath(find_config_file(path)))
        stat = file.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        cached = _PATH_CACHE.get(file)
        if cached is not None and cached[0] == key:
            config = cached[1]
        else:
            config, _ = load_plugin_config(file)
            _PATH_CACHE[file] = (key, config)
        return cls(config, path=file.parent, config_file=file)

    @classmethod
    def from_module(
        cls, module: ModuleType, *, name: str | None = None, category: PluginCategory = PluginCategory.CUSTOM
    ) -> PluginDiscovery:
        """Every named action defined in or imported into ``module``.

        Base classes (``BaseAction``, category bases) and classes without ``action_name`` are skipped.
        """
        actions: dict[str, ActionConfig] = {}
        targets: dict[str, ActionTarget] = {}
        for attr, obj in sorted(vars(module).items()):
            if attr.startswith('_') or not is_action(obj):
                continue
            if isinstance(obj, type) and obj.__module__.startswith('synapse_sdk.'):
                continue  # SDK bases imported into the user's module
            spec = action_spec(obj)
            if not spec.name or spec.name in actions:
                continue
            actions[spec.name] = ActionConfig(
                name=spec.name,
                description=spec.description,
                entrypoint=f'{module.__name__}:{attr}',
                method=spec.method or RunMethod.TASK,
                params_schema=spec.params_model,
            )
            targets[spec.name] = obj
        module_name = module.__name__
        config = PluginConfig(
            name=name or module_name, code=module_name.replace('.', '-'), category=category, actions=actions
        )
        folder = _import_root(module)
        return cls(config, path=folder, targets=targets)

    # -- queries ----------------------------------------------------------------------------
    def list_actions(self) -> list[str]:
        return list(self.config.actions)

    def has_action(self, name: str) -> bool:
        return name in self.config.actions

    def get_action_config(self, name: str) -> ActionConfig:
        try:
            return self.config.actions[name]
        except KeyError:
            raise ActionNotFoundError(name, self.list_actions(), where=self._where()) from None

    def get_action_method(self, name: str) -> RunMethod:
        return RunMethod(self.get_action_config(name).method)

    def get_action_entrypoint(self, name: str) -> str:
        """The entrypoint as ``package.module:Attr`` (no import happens)."""
        config = self.get_action_config(name)
        if config.entrypoint:
            module, attr = split_entrypoint(config.entrypoint)
            return f'{module}:{attr}'
        target = self._targets.get(name)
        if target is not None:
            return entrypoint_of(target)
        raise EntrypointError(f'Action {name!r} has no entrypoint in {self._where()}', details={'action': name})

    def get_action_class(self, name: str) -> ActionTarget:
        """Load the action's class or function (cached per discovery)."""
        if name in self._targets:
            return self._targets[name]
        entrypoint = self.get_action_entrypoint(name)
        target = load_entrypoint(entrypoint, plugin_path=self.path)
        self._targets[name] = target
        return target

    def get_action_params_model(self, name: str) -> type[BaseModel] | None:
        config = self.get_action_config(name)
        if config.params_schema is not None:
            return config.params_schema
        return action_spec(self.get_action_class(name)).params_model

    def get_action_params_schema(self, name: str) -> dict[str, Any] | None:
        model = self.get_action_params_model(name)
        return model.model_json_schema() if model is not None else None

    def _where(self) -> str:
        if self.config_file is not None:
            return str(self.config_file)
        return f'plugin {self.config.code!r}'

    def __repr__(self) -> str:
        return f'PluginDiscovery(code={self.config.code!r}, actions={self.list_actions()!r})'


def _import_root(module: ModuleType) -> Path | None:
    """The folder that must be on ``sys.path`` to import ``module`` again (for remote executors)."""
    file = getattr(module, '__file__', None)
    if not file:
        return None
    root = Path(file).resolve().parent
    depth = module.__name__.count('.') + (1 if Path(file).name == '__init__.py' else 0)
    for _ in range(depth):
        root = root.parent
    return root
