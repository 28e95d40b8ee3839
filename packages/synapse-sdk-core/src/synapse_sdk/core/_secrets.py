"""What a secret is, the one definition every part of the SDK uses.

A value is secret when it is marked (:class:`Secret`, pydantic's ``SecretStr``), when its *name*
says so (``DB_PASS``, ``SENTRY_DSN``, ``apiKey``, ``AWS_SECRET_ACCESS_KEY``...), or when its *shape*
does (a URL with ``user:password@``, a DSN, a bearer or JWT token, an AWS access key id, a PEM
private key, GitHub/Slack/... tokens, a presigned URL's signature). Names are split into words
(``_``, ``-``, ``.``, camelCase) so ``MONKEY``, ``KEYBOARD_LAYOUT``, ``AUTHOR`` or ``TOKENIZER``
are not secret while ``API_KEY``, ``apiKey`` and ``HFTOKEN`` are.

Secret values are kept out of runtime_envs, entrypoints, dashboards, logs, errors, reprs and
printed URLs with :func:`split_secret_env`, :func:`redact_text`, :func:`redact_url` and
:func:`redact_mapping`.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

MASK = '***'

# Words that make a name secret on their own (``DB_PASS``, ``SENTRY_DSN``, ``X_AUTH``).
_SECRET_WORDS = frozenset(
    {
        'KEY',
        'KEYS',
        'PASS',
        'PWD',
        'PASSWD',
        'PASSPHRASE',
        'DSN',
        'AUTH',
        'OAUTH',
        'AUTHORIZATION',
        'JWT',
        'BEARER',
        'PRIVATE',
        'CREDS',
        'COOKIE',
        'SIGNATURE',
        'SIG',
        'SALT',
    }
)
# Word endings that make a name secret, also glued to another word (``HFTOKEN``, ``APIKEY``).
_SECRET_SUFFIX = re.compile(
    r'(TOKEN|SECRET|SECRETS|PASSWORD|PASSWORDS|PASSWD|PASSPHRASE|CREDENTIAL|CREDENTIALS|APIKEY|ACCESSKEY|'
    r'SECRETKEY|PRIVATEKEY|SESSIONKEY|AUTHKEY|SIGNINGKEY)$'
)
# Word beginnings that do the same (``SECRETKEY``, ``PASSWORDFILE`` stays secret by caution).
_SECRET_PREFIX = re.compile(r'^(SECRET|PASSWORD|CREDENTIAL)')
_WORD_SPLIT = re.compile(r'[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])')

_PEM_PRIVATE = re.compile(
    r'-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----'
    r'[\s\S]*?(?:-----END \1-----|\Z)'
)
_URL_USERINFO = re.compile(
    r'(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s?#]*)(?::(?P<password>[^/@\s?#]*))?@(?=[^\s/@]+)'
)
_TOKEN_SHAPES = (
    re.compile(r'\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b'),  # AWS access key id
    re.compile(r'\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*'),  # JWT
    re.compile(r'\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b'),  # GitHub
    re.compile(r'\bgithub_pat_[A-Za-z0-9_]{22,}\b'),
    re.compile(r'\bglpat-[A-Za-z0-9_-]{20,}\b'),  # GitLab
    re.compile(r'\bxox[abposr]-[A-Za-z0-9-]{10,}\b'),  # Slack
    re.compile(r'https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+'),
    re.compile(r'\bAIza[0-9A-Za-z_-]{35}\b'),  # Google API key
    re.compile(r'\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b'),  # Stripe
    re.compile(r'\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b'),  # OpenAI / Anthropic style
    re.compile(r'\bhf_[A-Za-z0-9]{30,}\b'),  # Hugging Face
    re.compile(r'\bnpm_[A-Za-z0-9]{36}\b'),
    re.compile(r'\bpypi-[A-Za-z0-9_-]{50,}\b'),
)
_AUTH_SCHEME = re.compile(r'(?P<scheme>\b(?:Bearer|Basic|Token|Digest)\s+)(?P<value>[A-Za-z0-9._~+/=:-]{8,})')
_QUERY_PARAM = re.compile(r'(?P<key>[?&;][A-Za-z0-9_.-]+)=(?P<value>[^&#\s]*)')
_ASSIGNMENT = re.compile(
    r'(?P<key>\b[A-Za-z_][A-Za-z0-9_.-]*)(?P<op>["\']?\s*[=:]\s*)(?P<quote>["\']?)(?P<value>[^\s"\'&,;]+)'
)


class Secret(str):
    """A string that must stay out of runtime_envs, logs and reprs (``Secret('s3cr3t')``)."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def reveal(self) -> str:
        return str.__str__(self)


def name_words(name: str) -> list[str]:
    """``'apiKey'`` -> ``['API', 'KEY']``; ``'DB_PASS'`` -> ``['DB', 'PASS']``."""
    return [w.upper() for w in _WORD_SPLIT.split(name) if w]


def is_secret_name(name: str) -> bool:
    """Whether a variable or key called ``name`` holds a secret (by its words, not substrings)."""
    for word in name_words(str(name)):
        if word in _SECRET_WORDS or _SECRET_SUFFIX.search(word) or _SECRET_PREFIX.match(word):
            return True
    return False


def _url_has_secret(text: str) -> bool:
    for match in _URL_USERINFO.finditer(text):
        if match['user'] or match['password']:
            return True
    for match in _QUERY_PARAM.finditer(text):
        if match['value'] and is_secret_name(match['key'][1:]):
            return True
    return False


def looks_secret(value: Any) -> bool:
    """Whether ``value`` has the shape of a secret, whatever it is called."""
    if is_marked_secret(value):
        return True
    text = reveal(value)
    if not text:
        return False
    if _PEM_PRIVATE.search(text) or _AUTH_SCHEME.search(text):
        return True
    if any(shape.search(text) for shape in _TOKEN_SHAPES):
        return True
    return '://' in text and _url_has_secret(text)


def is_marked_secret(value: Any) -> bool:
    return isinstance(value, Secret) or callable(getattr(value, 'get_secret_value', None))


def reveal(value: Any) -> str:
    """The plain text of a value, marked secret or not."""
    if isinstance(value, Secret):
        return value.reveal()
    get_secret = getattr(value, 'get_secret_value', None)
    if callable(get_secret):
        return str(get_secret())
    return '' if value is None else str(value)


def is_secret(name: str, value: Any) -> bool:
    """Secret by mark, by name or by shape."""
    return is_marked_secret(value) or is_secret_name(name) or looks_secret(value)


def split_secret_env(env: Mapping[str, Any] | None) -> tuple[dict[str, str], dict[str, str]]:
    """``(public, secret)`` plain-text copies of ``env``: only ``public`` may go where others see it."""
    public: dict[str, str] = {}
    secret: dict[str, str] = {}
    for key, raw in (env or {}).items():
        if raw is None:
            continue
        name = str(key)
        (secret if is_secret(name, raw) else public)[name] = reveal(raw)
    return public, secret


def secret_variants(values: Iterable[str | None]) -> list[str]:
    """Each secret plus the encodings it travels in (URL-quoted, base64 as in Basic auth), longest first."""
    found: set[str] = set()
    for value in values:
        if not value or len(value) < 3:
            continue
        found.add(value)
        found.add(urllib.parse.quote(value, safe=''))
        found.add(base64.b64encode(value.encode()).decode())
    return sorted(found, key=len, reverse=True)


def _mask_userinfo(match: re.Match[str]) -> str:
    if match['password'] is not None:
        return f'{match["scheme"]}{match["user"]}:{MASK}@'
    return f'{match["scheme"]}{MASK}@' if match['user'] else match[0]


def _mask_query(match: re.Match[str]) -> str:
    if match['value'] and is_secret_name(match['key'][1:]):
        return f'{match["key"]}={MASK}'
    return match[0]


def _mask_assignment(match: re.Match[str]) -> str:
    # A bare ``key=`` in a message is usually an object key (``Key=models/a.bin``), not a secret.
    if match['key'].lower() in ('key', 'keys'):
        return match[0]
    if is_secret_name(match['key']) and match['value'] != MASK and '://' not in match['value']:
        return f'{match["key"]}{match["op"]}{match["quote"]}{MASK}'
    return match[0]


def redact_text(text: str, known: Iterable[str | None] = ()) -> str:
    """``text`` with every secret replaced by ``***``: the ``known`` values (and their encodings),
    URL passwords, secret query parameters, ``NAME=value`` pairs with secret names, and anything
    shaped like a token or private key."""
    for secret in secret_variants(known):
        text = text.replace(secret, MASK)
    text = _PEM_PRIVATE.sub(lambda m: f'-----BEGIN {m[1]}-----{MASK}', text)
    text = _URL_USERINFO.sub(_mask_userinfo, text)
    text = _QUERY_PARAM.sub(_mask_query, text)
    text = _AUTH_SCHEME.sub(lambda m: f'{m["scheme"]}{MASK}', text)
    for shape in _TOKEN_SHAPES:
        text = shape.sub(MASK, text)
    return _ASSIGNMENT.sub(_mask_assignment, text)


def redact_url(url: str) -> str:
    """``url`` safe to print: the password of ``user:password@`` and secret query values masked."""
    return redact_text(url)


def redact_value(name: str, value: Any) -> Any:
    """``***`` for a secret (by mark, name or shape); plain data passes through (strings redacted)."""
    if value is None or value == '':
        return value
    if isinstance(value, Mapping):
        return redact_mapping(value)
    if isinstance(value, (list, tuple)):
        return [redact_value(name, v) for v in value]
    if is_marked_secret(value) or is_secret_name(name):
        return MASK
    if isinstance(value, str):
        return MASK if looks_secret(value) and not ('://' in value and _url_has_secret(value)) else redact_text(value)
    return value


def redact_mapping(data: Mapping[str, Any], *, extra_names: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of a (nested) mapping safe to show or store: secret values become ``***``.

    ``extra_names`` adds names a caller knows to be secret (e.g. storage ``headers``).
    """
    extra = {n.lower() for n in extra_names}
    shown: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key)
        if name.lower() in extra and value:
            shown[key] = MASK
        elif isinstance(value, Mapping):
            shown[key] = redact_mapping(value, extra_names=extra)
        else:
            shown[key] = redact_value(name, value)
    return shown


__all__ = [
    'MASK',
    'Secret',
    'is_marked_secret',
    'is_secret',
    'is_secret_name',
    'looks_secret',
    'name_words',
    'redact_mapping',
    'redact_text',
    'redact_url',
    'redact_value',
    'reveal',
    'secret_variants',
    'split_secret_env',
]
