"""What every category base shares: the backend client and temporary folders cleaned after a run."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from synapse_sdk.clients._protocol import BackendProtocol
from synapse_sdk.core._atomic import scratch_dir
from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.errors import PluginError

P = TypeVar('P', bound=BaseModel)


class CategoryAction(BaseAction[P]):
    """A :class:`BaseAction` with a required backend and run-scoped temporary folders."""

    @property
    def backend(self) -> BackendProtocol:
        """The run's backend client (the embedded local backend when no platform is configured)."""
        client = self.client if getattr(self, 'client', None) is not None else self.ctx.client
        if client is None:
            raise PluginError(
                f'{type(self).__name__} needs a backend client, but the run context has none; '
                'pass client= to the executor or install synapse-sdk-core with its clients'
            )
        return client

    def temp_dir(self, prefix: str = 'synapse-') -> Path:
        """A folder removed when the run ends (successfully or not); a killed run's is removed by the next."""
        path = scratch_dir(prefix.strip('-_.') or 'action')
        self.__dict__.setdefault('_temp_dirs', []).append(path)
        return path

    def cleanup(self) -> None:
        for path in self.__dict__.pop('_temp_dirs', []):
            shutil.rmtree(path, ignore_errors=True)

    def run(self) -> Any:
        try:
            return super().run()
        finally:
            self.cleanup()

    def param(self, *names: str, default: Any = None) -> Any:
        """The first of ``names`` set on the params model (v1 and v2 spellings differ)."""
        for name in names:
            value = getattr(self.params, name, None)
            if value is not None:
                return value
        return default
