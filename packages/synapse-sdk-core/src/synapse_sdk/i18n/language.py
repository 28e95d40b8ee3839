"""Which language a run speaks: explicit choice, then ``SYNAPSE_LANGUAGE``, then English."""

from __future__ import annotations

import os
from collections.abc import Mapping

SUPPORTED_LANGUAGES: tuple[str, ...] = ('en', 'ko')
DEFAULT_LANGUAGE = 'en'
ENV_LANGUAGE = 'SYNAPSE_LANGUAGE'


def normalise_language(language: str | None) -> str | None:
    """``'ko_KR.UTF-8'`` -> ``'ko'``; anything unsupported -> ``None``."""
    if not language:
        return None
    code = language.strip().replace('-', '_').split('_')[0].split('.')[0].lower()
    return code if code in SUPPORTED_LANGUAGES else None


def resolve_language(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to render messages in; never fails, falls back to English."""
    env = os.environ if environ is None else environ
    return normalise_language(explicit) or normalise_language(env.get(ENV_LANGUAGE)) or DEFAULT_LANGUAGE
