"""``RayServeHandle``: a Ray Serve application serving one action, as a :class:`ServeHandle`.

``predict`` goes through the same HTTP client (:class:`~synapse_sdk.plugins._serving.ServeClient`)
every caller of a served action uses, over Serve's HTTP proxy, so what the handle sees is what
the platform sees and answers become the same typed errors (``ServeRequestError`` for 400/422,
``ServeActionError`` for 500, ``ServeUnavailableError`` once the application is gone).
"""

from __future__ import annotations

from typing import Any

from synapse_sdk.plugins._serving.client import ServeClient
from synapse_sdk.ray._connection import DEFAULT_CONNECT_TIMEOUT


class RayServeHandle:
    """``url``, ``predict(payload, model_id=...)``, ``health()``, ``status()``, ``delete()`` of one application."""

    def __init__(
        self,
        app_name: str,
        url: str,
        *,
        address: str | None = None,
        timeout: float = 60.0,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self.app_name = app_name
        self.url = url
        self.address = address
        self.connect_timeout = connect_timeout
        self.client = ServeClient(url, timeout=timeout)

    def predict(self, payload: dict[str, Any], *, model_id: str | None = None) -> Any:
        """The action's result for ``payload`` (its params), with the model ``model_id`` when given."""
        return self.client.predict(payload, model_id=model_id)

    def health(self) -> dict[str, Any]:
        return self.client.health()

    def status(self) -> dict[str, Any]:
        """The application's status, URL and deployments with their replica counts."""
        from synapse_sdk.ray._serve.admin import application_status

        return application_status(self.app_name, self.address, timeout=self.connect_timeout)

    def delete(self) -> None:
        """Delete the application (its replicas stop; its URL answers 404)."""
        from synapse_sdk.ray._serve.admin import delete_application

        self.client.close()
        delete_application(self.app_name, self.address, timeout=self.connect_timeout)

    def __enter__(self) -> RayServeHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()

    def __repr__(self) -> str:
        return f'RayServeHandle({self.app_name!r}, url={self.url!r})'
