"""Turn a message (code, text, :class:`LocalizedMessage` or ``{'en': .., 'ko': ..}``) into text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synapse_sdk.i18n._catalogues import CATALOGUES
from synapse_sdk.i18n._codes import LogMessageCode
from synapse_sdk.i18n._language import DEFAULT_LANGUAGE, resolve_language
from synapse_sdk.i18n._localized import LocalizedMessage, safe_format

MessageLike = LogMessageCode | LocalizedMessage | Mapping[str, str] | str


def as_localized(message: MessageLike) -> LocalizedMessage:
    """The translations behind any accepted message form; a plain string is the same in every language."""
    if isinstance(message, LocalizedMessage):
        return message
    if isinstance(message, LogMessageCode):
        return LocalizedMessage({lang: cat[message.value] for lang, cat in CATALOGUES.items() if message.value in cat})
    if isinstance(message, Mapping):
        return LocalizedMessage(message)
    return LocalizedMessage({DEFAULT_LANGUAGE: str(message)})


def render(message: MessageLike, language: str | None = None, /, **params: Any) -> str:
    """Render ``message`` in ``language``. Never raises for a missing translation or placeholder.

    ``CUSTOM_MESSAGE`` takes its text from ``message=`` (a string, dict or LocalizedMessage), which is
    rendered in the same language first.
    """
    lang = resolve_language(language)
    if message is LogMessageCode.CUSTOM_MESSAGE and 'message' in params:
        inner = params['message']
        if not isinstance(inner, str):
            params = {**params, 'message': render(inner, lang, **{k: v for k, v in params.items() if k != 'message'})}
    if isinstance(message, str) and not isinstance(message, LogMessageCode):
        return safe_format(message, params)
    return as_localized(message).format(lang, **params)
