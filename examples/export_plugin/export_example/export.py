"""An export action. The default flow does the work; this one only narrows what is exported."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from synapse_sdk.plugins import BaseExportAction, ExportParams


class ExportAction(BaseExportAction[ExportParams]):
    action_name = 'export'
    params_model = ExportParams

    def get_filtered_results(self, filters: dict[str, Any]) -> tuple[Iterable[dict[str, Any]], int]:
        # Only submitted work is exported; drafts stay behind.
        return super().get_filtered_results({**filters, 'status': filters.get('status', 'submitted')})
