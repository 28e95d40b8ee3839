"""Text in several languages, with ``{placeholders}`` filled in at render time."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

from synapse_sdk.i18n._language import DEFAULT_LANGUAGE, normalise_language, resolve_language


class _Missing:
    """Stands in for an absent placeholder and formats back to its own ``{name:spec}``."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __format__(self, spec: str) -> str:
        return '{' + self.key + (':' + spec if spec else '') + '}'


class _SafeFormatter(string.Formatter):
    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            return _Missing(key)
        return super().get_value(key, args, kwargs)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return value if isinstance(value, _Missing) else super().convert_field(value, conversion)


_FORMATTER = _SafeFormatter()


def safe_format(template: str, params: Mapping[str, Any]) -> str:
    """``template.format(**params)`` that leaves unknown placeholders as they are and never raises."""
    if not params and '{' not in template:
        return template
    try:
        return _FORMATTER.vformat(template, (), params)
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        return template


class LocalizedMessage:
    """A message with one translation per language.

    ``LocalizedMessage({'en': 'Processing {count} files', 'ko': '{count}개의 파일을 처리 중'})`` or
    ``LocalizedMessage(en='...', ko='...')``. A missing language falls back to English, then to any
    translation present.
    """

    __slots__ = ('translations',)

    def __init__(self, translations: Mapping[str, str] | str | None = None, /, **by_language: str) -> None:
        merged: dict[str, str] = {}
        if isinstance(translations, str):
            merged[DEFAULT_LANGUAGE] = translations
        elif translations is not None:
            merged.update({str(k): str(v) for k, v in translations.items()})
        merged.update(by_language)
        if not merged:
            raise ValueError('LocalizedMessage needs at least one translation, e.g. LocalizedMessage(en="...")')
        self.translations = {(normalise_language(k) or k): v for k, v in merged.items()}

    def get(self, language: str | None = None) -> str:
        """The template for ``language`` (resolved as for a run), with fallbacks."""
        lang = resolve_language(language)
        for candidate in (lang, DEFAULT_LANGUAGE):
            if candidate in self.translations:
                return self.translations[candidate]
        return next(iter(self.translations.values()))

    def format(self, language: str | None = None, /, **params: Any) -> str:
        return safe_format(self.get(language), params)

    def to_dict(self) -> dict[str, str]:
        return dict(self.translations)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalizedMessage) and other.translations == self.translations

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.translations.items())))

    def __repr__(self) -> str:
        return f'LocalizedMessage({self.translations!r})'

    def __str__(self) -> str:
        return self.get()
