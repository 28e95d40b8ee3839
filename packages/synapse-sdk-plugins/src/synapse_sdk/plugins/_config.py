"""``config.yaml`` as pydantic models, and loading it with errors that name the file and key."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from synapse_sdk.core._suggest import closest
from synapse_sdk.plugins.enums import DataType, PackageManager, PluginCategory, RunMethod
from synapse_sdk.plugins.errors import PluginConfigError, PluginConfigParseError

CONFIG_FILE_NAMES = ('config.yaml', 'synapse.yaml')

# Keys the platform or the published package use that this model does not interpret; kept as they are.
_KNOWN_EXTRA_KEYS = frozenset({'annotation_category', 'annotation_type', 'smart_tool', 'ui_schemas', 'requirements'})


def refuse_misspelled_keys(model: type[BaseModel], data: Any) -> None:
    """An unknown key that is one slip away from a real one is an error, not a silently kept extra.

    Unknown keys far from every known key are kept (``model_extra``): the platform adds its own.
    """
    if not isinstance(data, dict):
        return
    valid = list(model.model_fields)
    for key in data:
        if not isinstance(key, str) or key in model.model_fields or key in _KNOWN_EXTRA_KEYS:
            continue
        match = closest(key, valid, cutoff=0.8)
        if match is not None and match not in data:
            raise ValueError(f'unknown key {key!r} (did you mean {match!r}?)')


class ActionConfig(BaseModel):
    """One entry of ``actions:``. Unknown keys are kept (``model_extra``) and written back."""

    model_config = ConfigDict(extra='allow', arbitrary_types_allowed=True, use_enum_values=False)

    name: str = ''
    description: str = ''
    entrypoint: str = ''
    method: RunMethod = RunMethod.TASK
    params_schema: type[BaseModel] | None = Field(default=None, exclude=True)
    input_type: str | None = None
    output_type: str | None = None

    @model_validator(mode='before')
    @classmethod
    def _misspelled(cls, data: Any) -> Any:
        refuse_misspelled_keys(cls, data)
        return data

    @field_validator('method', mode='before')
    @classmethod
    def _method(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if value == 'serve_application':  # v1 spelling
                return RunMethod.SERVE
        return value


class PluginConfig(BaseModel):
    """A plugin's ``config.yaml``. Unknown top-level keys are kept, not lost."""

    model_config = ConfigDict(extra='allow')

    name: str
    code: str
    version: str = '0.1.0'
    category: PluginCategory = PluginCategory.CUSTOM
    description: str = ''
    readme: str = 'README.md'
    package_manager: PackageManager = PackageManager.PIP
    package_manager_options: list[str] = Field(default_factory=list)
    wheels_dir: str = 'wheels'
    env: dict[str, str] = Field(default_factory=dict)
    runtime_env: dict[str, Any] = Field(default_factory=dict)
    data_type: DataType | None = None
    tasks: list[str] = Field(default_factory=list)
    supported_data_type: list[DataType] = Field(default_factory=list)
    actions: dict[str, ActionConfig] = Field(default_factory=dict)

    @model_validator(mode='before')
    @classmethod
    def _fill_action_names(cls, data: Any) -> Any:
        refuse_misspelled_keys(cls, data)
        if isinstance(data, dict) and isinstance(data.get('actions'), dict):
            actions = {}
            for key, value in data['actions'].items():
                if value is None:
                    value = {}
                if isinstance(value, dict):
                    value = {**value, 'name': value.get('name') or key}
                actions[key] = value
            data = {**data, 'actions': actions}
        if isinstance(data, dict) and isinstance(data.get('env'), dict):
            data = {**data, 'env': {str(k): str(v) for k, v in data['env'].items()}}
        return data

    @field_validator('package_manager_options', mode='before')
    @classmethod
    def _options_text(cls, value: Any) -> Any:
        # One string of installer flags is as common as a list: ``--index-url https://... --pre``.
        return shlex.split(value) if isinstance(value, str) else value

    def action_names(self) -> list[str]:
        return list(self.actions)


def find_config_file(path: str | os.PathLike[str]) -> Path:
    """``path`` itself if it is a file, else ``config.yaml`` or ``synapse.yaml`` inside it."""
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    if candidate.is_dir():
        for name in CONFIG_FILE_NAMES:
            if (candidate / name).is_file():
                return candidate / name
        raise PluginConfigError(
            f'No config.yaml (or synapse.yaml) in {candidate}. Run from the plugin folder, pass --path, '
            'or create one with `synapse plugin create`.',
            details={'path': str(candidate)},
        )
    raise PluginConfigError(f'Plugin path {candidate} does not exist', details={'path': str(candidate)})


def read_config_dict(file: Path) -> dict[str, Any]:
    """Parse YAML within the SDK's parsing bounds; every problem names the file (and line)."""
    from synapse_sdk.core._parsing import load_yaml
    from synapse_sdk.core.errors import ParseError

    try:
        data = load_yaml(file)
    except ParseError as error:
        raise PluginConfigParseError(error.message, path=error.path, line=error.line) from None
    if data is None:
        raise PluginConfigError(
            f'{file} is empty; it needs at least name, code and actions', details={'path': str(file)}
        )
    if not isinstance(data, dict):
        raise PluginConfigError(f'{file} must be a YAML mapping (key: value), not {type(data).__name__}')
    return data


def _problem(error: Any) -> str:
    where = '.'.join(str(p) for p in error['loc'])
    message = str(error['msg']).removeprefix('Value error, ')
    return f'{where}: {message}' if where else message


def parse_config(data: dict[str, Any], *, source: str = 'plugin config') -> PluginConfig:
    """Validate a config dict; every problem is reported with its key path."""
    try:
        return PluginConfig.model_validate(data)
    except ValidationError as error:
        problems = '; '.join(_problem(e) for e in error.errors())
        raise PluginConfigError(f'{source}: {problems}', details={'errors': error.errors(include_url=False)}) from None


def load_plugin_config(path: str | os.PathLike[str]) -> tuple[PluginConfig, Path]:
    """Load and validate the config of the plugin at ``path`` (folder or YAML file)."""
    file = find_config_file(path)
    return parse_config(read_config_dict(file), source=str(file)), file
