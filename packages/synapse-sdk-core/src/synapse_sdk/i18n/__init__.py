"""Messages in the run's language (English and Korean).

Messages are stored as a code plus parameters and rendered where they are shown, so one run can be
read in either language.
"""

from synapse_sdk.i18n._catalogues import CATALOGUES
from synapse_sdk.i18n._codes import LogMessageCode
from synapse_sdk.i18n._language import (
    DEFAULT_LANGUAGE,
    ENV_LANGUAGE,
    SUPPORTED_LANGUAGES,
    normalise_language,
    resolve_language,
)
from synapse_sdk.i18n._levels import LogLevel
from synapse_sdk.i18n._localized import LocalizedMessage, safe_format
from synapse_sdk.i18n._render import MessageLike, as_localized, render

__all__ = [
    'CATALOGUES',
    'DEFAULT_LANGUAGE',
    'ENV_LANGUAGE',
    'SUPPORTED_LANGUAGES',
    'LocalizedMessage',
    'LogLevel',
    'LogMessageCode',
    'MessageLike',
    'as_localized',
    'normalise_language',
    'render',
    'resolve_language',
    'safe_format',
]
