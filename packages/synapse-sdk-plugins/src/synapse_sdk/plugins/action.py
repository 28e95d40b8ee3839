"""Class-based actions: ``class TrainAction(BaseAction[TrainParams])`` with an ``execute()`` method."""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from synapse_sdk.i18n import LocalizedMessage, LogLevel, LogMessageCode
from synapse_sdk.plugins._context import RuntimeContext
from synapse_sdk.plugins.enums import PluginCategory, RunMethod

P = TypeVar('P')


class BaseAction(Generic[P]):
    """Base of class actions.

    Set ``action_name`` and ``params_model`` (or let ``BaseAction[MyParams]`` provide it) and
    implement ``execute()``. ``self.params`` holds the validated params, ``self.ctx`` the
    :class:`RuntimeContext`. Category bases override ``run()`` to wrap ``execute()`` in a workflow.
    """

    action_name: ClassVar[str | None] = None
    description: ClassVar[str] = ''
    category: ClassVar[PluginCategory | None] = None
    method: ClassVar[RunMethod | None] = None
    params_model: ClassVar[type[BaseModel] | None] = None
    result_model: ClassVar[type[BaseModel] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if 'params_model' in cls.__dict__:
            return
        for base in getattr(cls, '__orig_bases__', ()):
            origin = typing.get_origin(base)
            if isinstance(origin, type) and issubclass(origin, BaseAction):
                for arg in typing.get_args(base):
                    if isinstance(arg, type) and issubclass(arg, BaseModel) and arg is not BaseModel:
                        cls.params_model = arg
                        return

    def __init__(self, params: P, ctx: RuntimeContext) -> None:
        self.params = params
        self.ctx = ctx

    def execute(self) -> Any:
        raise NotImplementedError(f'{type(self).__name__} must implement execute()')

    def run(self) -> Any:
        return self.execute()

    @property
    def client(self) -> Any:
        return self.ctx.client

    @property
    def logger(self) -> Any:
        return self.ctx.logger

    def log(self, event: str, data: Mapping[str, Any] | None = None, level: LogLevel | str = LogLevel.INFO) -> None:
        self.ctx.log(event, data, level)

    def log_message(
        self,
        message: LogMessageCode | LocalizedMessage | Mapping[str, str] | str,
        /,
        level: LogLevel | str | None = None,
        **params: Any,
    ) -> None:
        self.ctx.log_message(message, level, **params)

    def set_progress(self, current: float, total: float, category: str | None = None) -> None:
        self.ctx.set_progress(current, total, category)

    def set_metrics(self, value: Mapping[str, Any], category: str | None = None) -> None:
        self.ctx.set_metrics(value, category)


class _ActionModule(types.ModuleType):
    """This module is also the ``@action`` decorator.

    Importing ``synapse_sdk.plugins.action`` makes Python set the package attribute ``action`` to
    this module, which would hide the decorator that ``from synapse_sdk.plugins import action``
    promises. Calling the module therefore decorates, exactly as
    :func:`synapse_sdk.plugins.decorators.action` does.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from synapse_sdk.plugins.decorators import action

        return action(*args, **kwargs)


sys.modules[__name__].__class__ = _ActionModule
