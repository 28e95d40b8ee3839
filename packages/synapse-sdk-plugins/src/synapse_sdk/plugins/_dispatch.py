"""The one path every action takes, in every execution mode: load, validate, run, validate result.

Local, Ray actor and Ray job executors all end in :func:`run_action`, so an action behaves the
same wherever it runs, and function actions run everywhere class actions do.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from synapse_sdk.core._suggest import did_you_mean
from synapse_sdk.i18n import LogMessageCode
from synapse_sdk.plugins._context import RuntimeContext
from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.decorators import SPEC_ATTRIBUTE, FunctionActionSpec
from synapse_sdk.plugins.enums import PluginCategory, RunMethod
from synapse_sdk.plugins.errors import EntrypointError, ExecutionError, ParamsValidationError, PluginError

ActionTarget = Union[type[BaseAction[Any]], Callable[..., Any]]  # noqa: UP007 - a runtime alias on 3.10


@dataclass(frozen=True)
class ActionSpec:
    """What the SDK knows about an action, whichever way it was defined."""

    name: str | None
    target: ActionTarget
    kind: str  # 'class' | 'function'
    description: str = ''
    params_model: type[BaseModel] | None = None
    result_model: type[BaseModel] | None = None
    category: PluginCategory | None = None
    method: RunMethod | None = None


def is_action(obj: object) -> bool:
    """A concrete action: a ``BaseAction`` subclass or an ``@action`` function."""
    if isinstance(obj, type):
        return issubclass(obj, BaseAction) and obj is not BaseAction
    return callable(obj) and isinstance(getattr(obj, SPEC_ATTRIBUTE, None), FunctionActionSpec)


def action_spec(target: Any) -> ActionSpec:
    if isinstance(target, type) and issubclass(target, BaseAction):
        return ActionSpec(
            name=target.action_name,
            target=target,
            kind='class',
            description=target.description or (target.__doc__ or '').strip().split('\n')[0],
            params_model=target.params_model,
            result_model=target.result_model,
            category=target.category,
            method=target.method,
        )
    spec = getattr(target, SPEC_ATTRIBUTE, None)
    if callable(target) and isinstance(spec, FunctionActionSpec):
        return ActionSpec(
            name=spec.name,
            target=target,
            kind='function',
            description=spec.description,
            params_model=spec.params_model,
            result_model=spec.result_model,
            category=spec.category,
            method=spec.method,
        )
    raise PluginError(
        f'{target!r} is not an action: subclass BaseAction or decorate a function with @action',
        details={'target': repr(target)},
    )


def split_entrypoint(entrypoint: str) -> tuple[str, str]:
    """``pkg.mod:Attr`` or ``pkg.mod.Attr`` -> ``('pkg.mod', 'Attr')``."""
    text = entrypoint.strip()
    if ':' in text:
        module, _, attr = text.rpartition(':')
    else:
        module, _, attr = text.rpartition('.')
    if not module or not attr:
        raise EntrypointError(
            f'Invalid entrypoint {entrypoint!r}: use "package.module.Attr" or "package.module:Attr"',
            details={'entrypoint': entrypoint},
        )
    return module, attr


def _evict_foreign(module: str, root: Path) -> None:
    """Forget a cached top-level package that was imported from outside ``root``.

    Two plugins commonly both name their package ``plugin``; without this the second would run
    the first one's code.
    """
    top = module.split('.')[0]
    cached = sys.modules.get(top)
    if cached is None:
        return
    locations = [getattr(cached, '__file__', None), *list(getattr(cached, '__path__', []) or [])]
    if any(loc and Path(loc).resolve().is_relative_to(root) for loc in locations):
        return
    if not (root / top).exists() and not (root / f'{top}.py').exists():
        return
    for name in [n for n in sys.modules if n == top or n.startswith(top + '.')]:
        del sys.modules[name]


def load_entrypoint(entrypoint: str, *, plugin_path: str | os.PathLike[str] | None = None) -> ActionTarget:
    """Import the action named by ``entrypoint``; failures name the entrypoint and the cause."""
    module_name, attr = split_entrypoint(entrypoint)
    with plugin_import_path(plugin_path):
        if plugin_path is not None:
            _evict_foreign(module_name, Path(plugin_path).resolve())
        try:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                importlib.invalidate_caches()  # the plugin folder may be newer than the import system's view
                module = importlib.import_module(module_name)
        except Exception as error:
            raise EntrypointError(
                f'Cannot import module {module_name!r} of entrypoint {entrypoint!r}: {type(error).__name__}: {error}',
                details={'entrypoint': entrypoint, 'module': module_name},
            ) from error
    try:
        target = getattr(module, attr)
    except AttributeError:
        raise EntrypointError(
            f'Module {module_name!r} has no attribute {attr!r} (entrypoint {entrypoint!r})',
            details={'entrypoint': entrypoint, 'module': module_name},
        ) from None
    if not is_action(target):
        raise EntrypointError(
            f'Entrypoint {entrypoint!r} is not an action: subclass BaseAction or decorate a function with @action',
            details={'entrypoint': entrypoint},
        )
    return target  # type: ignore[no-any-return]


def entrypoint_of(target: ActionTarget) -> str:
    """``module:QualName`` of an action object (for executors that import it elsewhere)."""
    return f'{target.__module__}:{target.__qualname__}'


@contextlib.contextmanager
def plugin_import_path(path: str | os.PathLike[str] | None) -> Iterator[None]:
    """Make the plugin folder importable for the duration of the block; ``sys.path`` is restored after."""
    if path is None:
        yield
        return
    folder = os.path.abspath(path)
    saved = list(sys.path)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path[:] = saved


class _ValidationContext(dict[str, Any]):
    """Validation context whose ``client`` is only created if a validator asks for it."""

    def __init__(self, ctx: RuntimeContext) -> None:
        super().__init__(ctx=ctx)
        self._ctx = ctx

    def __missing__(self, key: str) -> Any:
        if key == 'client':
            return self._ctx.client
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key == 'client' or key in self else default


def validate_params(spec: ActionSpec, params: Any, ctx: RuntimeContext) -> Any:
    name = spec.name or str(getattr(spec.target, '__name__', 'action'))
    model = spec.params_model
    if model is None:
        if params is None:
            return {}
        if isinstance(params, (Mapping, BaseModel)):
            return params
        raise ParamsValidationError(
            name, [{'loc': (), 'msg': f'params must be a JSON object, got {type(params).__name__}'}]
        )
    if isinstance(params, model):
        return params
    if isinstance(params, BaseModel):
        params = params.model_dump()
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise ParamsValidationError(
            name, [{'loc': (), 'msg': f'params must be a JSON object, got {type(params).__name__}'}]
        )
    unknown = unknown_params(model, params)
    try:
        validated = model.model_validate(params, context=_ValidationContext(ctx))
    except ValidationError as error:
        raise ParamsValidationError(name, [*unknown, *error.errors(include_url=False, include_context=False)]) from None
    if unknown:
        raise ParamsValidationError(name, unknown)
    return validated


def accepted_keys(model: type[BaseModel]) -> list[str]:
    """Every top-level key ``model`` takes: field names and their string aliases."""
    keys: set[str] = set()
    for field_name, field in model.model_fields.items():
        keys.add(field_name)
        for alias in (field.alias, field.validation_alias):
            if isinstance(alias, str):
                keys.add(alias)
    return sorted(keys)


def unknown_params(model: type[BaseModel], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Errors for keys the model would silently drop (a typo runs with the default otherwise).

    Models that take extra keys (``extra='allow'``) or refuse them themselves (``'forbid'``) are
    left to pydantic.
    """
    if model.model_config.get('extra') in ('allow', 'forbid'):
        return []
    valid = accepted_keys(model)
    listed = ', '.join(valid) or '(none)'
    return [
        {
            'loc': (key,),
            'msg': f'unknown key{did_you_mean(str(key), valid)}; valid keys: {listed}',
            'type': 'extra_forbidden',
        }
        for key in params
        if str(key) not in valid
    ]


def _check_result(spec: ActionSpec, result: Any, ctx: RuntimeContext) -> None:
    model = spec.result_model
    if model is None or isinstance(result, model):
        return
    try:
        model.model_validate(result)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = '.'.join(str(p) for p in first['loc']) or 'result'
        ctx.log_message(
            LogMessageCode.RESULT_VALIDATION_FAILED,
            action=spec.name,
            model=model.__name__,
            error=f'{where}: {first["msg"]}',
        )


def run_action(target: ActionTarget, params: Any, ctx: RuntimeContext) -> Any:
    """Validate ``params``, run the action with ``ctx``, check its result, and report start and end."""
    spec = action_spec(target)
    name = spec.name or str(getattr(target, '__name__', 'action'))
    if ctx.action_name is None:
        ctx.action_name = name
    validated = validate_params(spec, params, ctx)
    ctx.log_message(LogMessageCode.PLUGIN_RUN_STARTED, action=name)
    try:
        if spec.kind == 'class':
            instance = spec.target(validated, ctx)
            result = instance.run()
        else:
            result = spec.target(validated, ctx)
    except Exception as error:
        ctx.log_message(LogMessageCode.PLUGIN_RUN_FAILED, action=name, error=f'{type(error).__name__}: {error}')
        raise ExecutionError(
            f'Action {name!r} failed: {type(error).__name__}: {error}',
            original=error,
            details={'action': name, 'error_type': type(error).__name__},
        ) from error
    _check_result(spec, result, ctx)
    ctx.log_message(LogMessageCode.PLUGIN_RUN_COMPLETE)
    return result
