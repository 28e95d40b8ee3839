"""Function actions: ``@action(name='train', params=TrainParams)`` on ``def train(params, ctx)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from synapse_sdk.plugins.enums import PluginCategory, RunMethod

F = TypeVar('F', bound=Callable[..., Any])

SPEC_ATTRIBUTE = '__synapse_action__'


@dataclass(frozen=True)
class FunctionActionSpec:
    name: str
    description: str = ''
    params_model: type[BaseModel] | None = None
    result_model: type[BaseModel] | None = None
    category: PluginCategory | None = None
    method: RunMethod | None = None


def action(
    name: str | None = None,
    description: str = '',
    params: type[BaseModel] | None = None,
    result: type[BaseModel] | None = None,
    category: PluginCategory | str | None = None,
    method: RunMethod | str | None = None,
) -> Callable[[F], F]:
    """Mark ``fn(params, ctx)`` as an action. The function itself is returned unchanged."""

    def mark(fn: F) -> F:
        spec = FunctionActionSpec(
            name=name or fn.__name__,
            description=description or (fn.__doc__ or '').strip().split('\n')[0],
            params_model=params,
            result_model=result,
            category=PluginCategory(category) if category else None,
            method=RunMethod(method) if method else None,
        )
        setattr(fn, SPEC_ATTRIBUTE, spec)
        # v1/v2-compatible markers some tools read
        fn._is_action = True  # type: ignore[attr-defined]
        fn._action_name = spec.name  # type: ignore[attr-defined]
        fn._action_description = spec.description  # type: ignore[attr-defined]
        fn._action_params = params  # type: ignore[attr-defined]
        fn._action_result = result  # type: ignore[attr-defined]
        return fn

    return mark
