"""``BaseInferenceAction``: load a model once, infer many times (served, or run once like any action).

``execute()`` is ``get_model()`` (through the run's model cache: a served replica keeps its LRU of
``max_models_per_replica`` models across requests) -> ``preprocess()`` -> ``infer(model, inputs)``
-> ``postprocess(output)``, reporting progress under ``MODEL_LOAD``, ``INFERENCE`` and
``POSTPROCESS``. The model id comes from the ``serve_multiplexed_model_id`` header when served,
else from ``params.model`` / ``params.model_id``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, ClassVar

from synapse_sdk.core.errors import ConfigError
from synapse_sdk.i18n import LogMessageCode
from synapse_sdk.plugins.actions._base import CategoryAction, P
from synapse_sdk.plugins.enums import PluginCategory, RunMethod

_SAFE = re.compile(r'[^A-Za-z0-9_.-]+')


class InferenceProgressCategories:
    """Progress categories of one inference call."""

    MODEL_LOAD = 'model_load'
    INFERENCE = 'inference'
    POSTPROCESS = 'postprocess'


def model_cache_dir(model_id: Any) -> Path:
    """Where a downloaded model file stays while its model is loaded: ``$SYNAPSE_HOME/cache/models/<id>``."""
    from synapse_sdk.core._credentials import synapse_home

    folder = synapse_home() / 'cache' / 'models' / (_SAFE.sub('_', str(model_id)) or 'model')
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


class BaseInferenceAction(CategoryAction[P]):
    """Base for ``neural_net`` inference actions (``method: serve``).

    Implement ``infer(model, inputs)``; override ``load_model(model_id)`` to turn the model file
    into an object (the default returns the local path of the model's file, fetched from the
    backend: the embedded local backend or the platform).
    """

    action_name: ClassVar[str | None] = 'inference'
    category = PluginCategory.NEURAL_NET
    method = RunMethod.SERVE
    progress: ClassVar[type[InferenceProgressCategories]] = InferenceProgressCategories

    # -- hooks a plugin implements
    def load_model(self, model_id: str | None) -> Any:
        """The loaded model for ``model_id``; by default the local path of its file, downloaded from the backend."""
        if model_id is None:
            raise ConfigError(
                f'{type(self).__name__} needs a model id: send the serve_multiplexed_model_id header, pass '
                '`model` in the params, or override load_model() to load a built-in model'
            )
        return self.backend.download_model(model_id, model_cache_dir(model_id))

    def infer(self, model: Any, inputs: Any) -> Any:
        raise NotImplementedError(f'{type(self).__name__} must implement infer(model, inputs)')

    def preprocess(self) -> Any:
        """The inputs ``infer`` gets (default: the validated params)."""
        return self.params

    def postprocess(self, output: Any) -> Any:
        """The action's result from ``infer``'s output (default: unchanged)."""
        return output

    # -- plumbing
    @property
    def model_id(self) -> str | None:
        """The model this call uses: the multiplexing header, else ``params.model`` / ``params.model_id``."""
        if self.ctx.model_id:
            return str(self.ctx.model_id)
        value = self.param('model', 'model_id')
        return None if value is None else str(value)

    def get_model(self) -> Any:
        """The loaded model, from the run's cache (loaded and timed under ``MODEL_LOAD`` on a miss)."""
        model_id = self.model_id

        def load() -> Any:
            started = time.perf_counter()
            self.set_progress(0, 1, self.progress.MODEL_LOAD)
            model = self.load_model(model_id)
            self.set_progress(1, 1, self.progress.MODEL_LOAD)
            seconds = round(time.perf_counter() - started, 3)
            self.log_message(LogMessageCode.MODEL_LOADED, model_id=model_id or 'default', seconds=seconds)
            return model

        return self.ctx.models.get(model_id, load)

    def execute(self) -> Any:
        model = self.get_model()
        inputs = self.preprocess()
        self.set_progress(0, 1, self.progress.INFERENCE)
        output = self.infer(model, inputs)
        self.set_progress(1, 1, self.progress.INFERENCE)
        self.set_progress(0, 1, self.progress.POSTPROCESS)
        result = self.postprocess(output)
        self.set_progress(1, 1, self.progress.POSTPROCESS)
        return result
