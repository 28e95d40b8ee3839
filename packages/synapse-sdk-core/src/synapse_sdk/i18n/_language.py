"""Which language a run speaks: explicit choice, then ``SYNAPSE_LANGUAGE``, then English."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

from synapse_sdk.core.errors import SynapseWarning

SUPPORTED_LANGUAGES: tuple[str, ...] = ('en', 'ko')
DEFAULT_LANGUAGE = 'en'
ENV_LANGUAGE = 'SYNAPSE_LANGUAGE'


def normalise_language(language: str | None) -> str | None:
    """``'ko_KR.UTF-8'`` -> ``'ko'``; anything unsupported -> ``None``."""
    if not language:
        return None
    code = language.strip().replace('-', '_').split('_')[0].split('.')[0].lower()
    return code if code in SUPPORTED_LANGUAGES else None


class UnsupportedLanguageWarning(SynapseWarning):
    """A language was asked for that has no catalogue; messages fall back to English."""


_warned: set[str] = set()


def _warn_unsupported(language: str | None, where: str, used: str) -> None:
    """Say once per process and language that ``language`` falls back, instead of silently."""
    if not language or not language.strip() or normalise_language(language) is not None:
        return
    code = language.strip()
    if code in _warned:
        return
    _warned.add(code)
    supported = ', '.join(SUPPORTED_LANGUAGES)
    warnings.warn(
        f'{where}{code!r} is not a supported language; messages are in {_NAMES.get(used, used)} '
        f'(supported: {supported})',
        UnsupportedLanguageWarning,
        stacklevel=3,
    )


_NAMES = {'en': 'English', 'ko': 'Korean'}


def resolve_language(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to render messages in; never fails, falls back to English (warning once)."""
    env = os.environ if environ is None else environ
    from_env = env.get(ENV_LANGUAGE)
    chosen = normalise_language(explicit) or normalise_language(from_env) or DEFAULT_LANGUAGE
    _warn_unsupported(explicit, 'language ', chosen)
    if not explicit:
        _warn_unsupported(from_env, f'{ENV_LANGUAGE}=', chosen)
    return chosen
