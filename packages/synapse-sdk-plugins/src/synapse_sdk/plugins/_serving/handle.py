"""``ServeHandle``: what ``run_plugin(..., mode='serve')`` returns, whichever server holds the action."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ServeHandle(Protocol):
    """A deployed action: ``url`` (``POST`` params there, ``GET <url>/health``), ``predict``, ``status``, ``delete``.

    ``predict`` returns the action's result, or raises
    :class:`~synapse_sdk.plugins.errors.ServeRequestError` (400/422, ``.status`` and ``.errors``),
    :class:`~synapse_sdk.plugins.errors.ServeActionError` (500, ``.error_type``) or
    :class:`~synapse_sdk.plugins.errors.ServeUnavailableError` (no answer).
    """

    url: str

    def predict(self, payload: dict[str, Any], *, model_id: str | None = None) -> Any: ...

    def status(self) -> dict[str, Any]: ...

    def delete(self) -> None: ...
