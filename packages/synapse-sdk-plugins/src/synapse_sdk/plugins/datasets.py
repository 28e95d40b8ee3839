"""Backward-compatible home of the dataset converters, provided by ``synapse-sdk-converters``.

``from synapse_sdk.plugins.datasets import get_converter`` keeps working; new code imports from
``synapse_sdk.utils.converters``.
"""

try:
    from synapse_sdk.utils.converters import *  # noqa: F403
    from synapse_sdk.utils.converters import __all__ as __all__
except ModuleNotFoundError as _error:
    from synapse_sdk.core._lazy import missing_distribution

    raise missing_distribution(_error, 'synapse_sdk.utils.converters') from _error
