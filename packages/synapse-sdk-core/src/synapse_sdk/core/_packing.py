"""Which files of a folder may be packed and shipped: the one rule for archives, publish and Ray.

Every packer (``create_archive``, ``create_archive_from_git``, ``synapse plugin publish``, the Ray
``working_dir``) asks :func:`plan_folder`, which decides file by file, with the reason:

1. :data:`DEFAULT_EXCLUDES` (gitignore syntax): secret files (``.env*``, SSH keys, ``*.pem``,
   cloud and package-manager credentials, ``~/.synapse``-style folders...) and the usual junk.
2. ``.gitignore`` at every depth (without git; with git, git's own answer) and ``.synapseignore``
   at every depth, deeper files and ``.synapseignore`` winning, as in git. A ``!pattern`` in
   ``.synapseignore`` re-includes a default-excluded file.
3. Symlinks are never followed out of the folder: a link whose target is outside (or broken, or a
   folder) is skipped and reported.
4. A content check refuses files that look like private keys or cloud credentials. To ship one on
   purpose, name its exact path in ``.synapseignore`` as ``!path/to/file`` (a wildcard negation
   re-includes by name but never lifts the content check), or pass ``allow=``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from synapse_sdk.core.errors import ArchiveError, SecretFileError

SECRET_EXCLUDES: tuple[str, ...] = (
    '.env',
    '.env.*',
    '.envrc',
    'id_rsa*',
    'id_dsa*',
    'id_ecdsa*',
    'id_ed25519*',
    '.ssh/',
    '*.pem',
    '*.key',
    '*.p12',
    '*.pfx',
    '*.jks',
    '*.keystore',
    '*.kdbx',
    '*.ppk',
    '.aws/',
    '.azure/',
    '.gcloud/',
    '.config/gcloud/',
    'application_default_credentials.json',
    '.netrc',
    '_netrc',
    '.git-credentials',
    '.pypirc',
    '.npmrc',
    '.yarnrc',
    '.yarnrc.yml',
    '.htpasswd',
    '.vault-token',
    'credentials.json',
    'client_secret*.json',
    'service-account*.json',
    'service_account*.json',
    '*-service-account.json',
    '.synapse/',
    '.kube/',
    'kubeconfig',
    '.docker/',
    '*.tfstate',
    '*.tfstate.*',
    '.terraform/',
)
JUNK_EXCLUDES: tuple[str, ...] = (
    '.git/',
    '.hg/',
    '.svn/',
    '__pycache__/',
    '*.py[cod]',
    '.venv/',
    'venv/',
    '.tox/',
    '.nox/',
    '.idea/',
    '.vscode/',
    '.DS_Store',
    'dist/',
    'build/',
    '*.egg-info/',
    'node_modules/',
    '.mypy_cache/',
    '.pytest_cache/',
    '.ruff_cache/',
    '.coverage',
    'htmlcov/',
    '*.log',
    '.synapse_params.json',
)
DEFAULT_EXCLUDES: tuple[str, ...] = SECRET_EXCLUDES + JUNK_EXCLUDES
IGNORE_FILES = ('.gitignore', '.synapseignore')
CONTENT_CHECK_BYTES = 256 * 1024

_PRIVATE_KEY = re.compile(rb'-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----')
_PUTTY_KEY = re.compile(rb'^PuTTY-User-Key-File-\d', re.MULTILINE)
_SERVICE_ACCOUNT = re.compile(rb'"type"\s*:\s*"service_account"')
_JSON_PRIVATE_KEY = re.compile(rb'"private_key"\s*:\s*"')
_AWS_CREDENTIALS = re.compile(rb'^\s*aws_secret_access_key\s*=\s*\S', re.MULTILINE | re.IGNORECASE)
_DOCKER_AUTHS = re.compile(rb'"auths"\s*:\s*\{[^}]*"auth"\s*:\s*"', re.DOTALL)
_KUBECONFIG = re.compile(rb'^\s*(client-key-data|token)\s*:\s*\S', re.MULTILINE)


@dataclass(frozen=True)
class Skipped:
    """A path left out (or refused) and why: the rule and the file that holds it."""

    path: str
    reason: str


@dataclass
class PackPlan:
    """What ships from ``root`` (``files``), what does not (``excluded``) and what is refused."""

    root: Path
    files: list[str] = field(default_factory=list)
    excluded: list[Skipped] = field(default_factory=list)
    refused: list[Skipped] = field(default_factory=list)

    def check(self) -> PackPlan:
        """Raise :class:`SecretFileError` when a file looks like a secret; returns ``self``."""
        if self.refused:
            listed = ', '.join(f'{s.path} ({s.reason})' for s in self.refused[:10])
            more = f' and {len(self.refused) - 10} more' if len(self.refused) > 10 else ''
            first = self.refused[0].path
            raise SecretFileError(
                f'refusing to pack {self.root}: {listed}{more}. Delete or move these files, exclude them in '
                f'.synapseignore, or ship one on purpose with a line `!{first}` in .synapseignore',
                details={'root': str(self.root), 'refused': [s.path for s in self.refused]},
            )
        return self

    def excluded_paths(self) -> list[str]:
        return [s.path for s in self.excluded] + [s.path for s in self.refused]

    def ray_excludes(self) -> list[str]:
        """Ray ``runtime_env['excludes']`` leaving out exactly what this plan leaves out.

        Anchored, escaped gitignore lines (Ray matches them with pathspec from the working_dir),
        so a ``.synapseignore`` re-inclusion is not undone by a broader default pattern.
        """
        return [_anchored(p) for p in self.excluded_paths()]


def _anchored(path: str) -> str:
    escaped = re.sub(r'([*?\[\]!#\\])', r'\\\1', path)
    return '/' + escaped.replace(' ', '\\ ') if escaped.endswith(' ') else '/' + escaped


@dataclass
class _Layer:
    base: str  # folder the patterns are relative to ('' for the root)
    source: str  # where the patterns come from, for the reason
    patterns: list[str]
    spec: object = None
    literal_negations: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        import pathspec

        self.spec = pathspec.GitIgnoreSpec.from_lines(self.patterns)

    def decide(self, relative: str, is_dir: bool) -> tuple[bool, str] | None:
        """``(excluded, pattern)`` when a pattern of this layer decides ``relative``."""
        if self.base:
            if not relative.startswith(self.base + '/'):
                return None
            relative = relative[len(self.base) + 1 :]
        result = self.spec.check_file(relative + '/' if is_dir else relative)  # type: ignore[attr-defined]
        if result.include is None:
            return None
        return bool(result.include), self.patterns[result.index]


def read_ignore_lines(path: Path) -> list[str]:
    """gitignore lines of ``path`` (blank lines and comments dropped); ``[]`` when absent."""
    try:
        text = path.read_text(encoding='utf-8', errors='replace')
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return []
    return [line.rstrip('\n') for line in text.splitlines() if line.strip() and not line.startswith('#')]


def _literal_negations(base: str, lines: Iterable[str]) -> set[str]:
    found = set()
    for line in lines:
        line = line.strip()
        if line.startswith('!') and not re.search(r'[*?\[]', line[1:]):
            path = line[1:].strip('/')
            found.add(f'{base}/{path}' if base else path)
    return found


class _Rules:
    def __init__(self, root: Path, *, defaults: Sequence[str], extra: Sequence[str], gitignore: bool) -> None:
        self.root = root
        self.gitignore = gitignore
        self.default_layers = [_Layer('', 'default exclude', list(defaults))] if defaults else []
        self.extra_layers = [_Layer('', 'exclude option', list(extra))] if extra else []
        self.git_layers: list[_Layer] = []
        self.synapse_layers: list[_Layer] = []
        self.allowed: set[str] = set()

    def enter(self, relative_dir: str) -> None:
        """Read the ignore files of a folder as the walk reaches it (parents before children)."""
        folder = self.root / relative_dir if relative_dir else self.root
        if self.gitignore:
            lines = read_ignore_lines(folder / '.gitignore')
            if lines:
                self.git_layers.append(_Layer(relative_dir, _source(relative_dir, '.gitignore'), lines))
        lines = read_ignore_lines(folder / '.synapseignore')
        if lines:
            self.synapse_layers.append(_Layer(relative_dir, _source(relative_dir, '.synapseignore'), lines))
            self.allowed |= _literal_negations(relative_dir, lines)

    def excluded_by(self, relative: str, is_dir: bool, *, git_decided: bool = False) -> str | None:
        """The reason ``relative`` is left out, or ``None`` when it ships."""
        verdict: tuple[bool, str] | None = None
        layers = [*self.default_layers, *([] if git_decided else self.git_layers), *self.synapse_layers]
        layers += self.extra_layers
        for layer in layers:
            decided = layer.decide(relative, is_dir)
            if decided is not None:
                verdict = (decided[0], f'{layer.source}: {decided[1].strip()}')
        return verdict[1] if verdict and verdict[0] else None


def _source(relative_dir: str, name: str) -> str:
    return f'{relative_dir}/{name}' if relative_dir else name


def secret_content(path: Path) -> str | None:
    """What a file looks like when it holds a private key or cloud credentials, else ``None``."""
    try:
        with open(path, 'rb') as handle:
            head = handle.read(CONTENT_CHECK_BYTES)
    except OSError:
        return None
    if _PRIVATE_KEY.search(head) or _PUTTY_KEY.search(head):
        return 'looks like a private key'
    if _JSON_PRIVATE_KEY.search(head) and (_SERVICE_ACCOUNT.search(head) or b'"client_email"' in head):
        return 'looks like a service-account key (JSON with "private_key")'
    if _AWS_CREDENTIALS.search(head):
        return 'looks like an AWS credentials file (aws_secret_access_key)'
    if _DOCKER_AUTHS.search(head):
        return 'looks like a Docker config with registry auth'
    if b'apiVersion' in head and b'clusters' in head and _KUBECONFIG.search(head):
        return 'looks like a kubeconfig with credentials'
    return None


def git_candidates(root: Path, include_untracked: bool) -> list[str]:
    command = ['git', '-C', str(root), 'ls-files', '-z', '--cached']
    if include_untracked:
        command += ['--others', '--exclude-standard']
    try:
        done = subprocess.run(command, capture_output=True, check=False)
    except FileNotFoundError:
        raise ArchiveError('git is not installed; install it or pack without git') from None
    if done.returncode != 0:
        message = done.stderr.decode(errors='replace').strip()
        raise ArchiveError(f'{root} is not inside a git repository ({message}); pack it without git instead')
    return sorted({n for n in done.stdout.decode('utf-8', errors='surrogateescape').split('\0') if n})


def _link_problem(path: Path, root: Path) -> str | None:
    """Why a symlink must not be packed, or ``None`` for a link to a file inside the folder."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return 'broken symlink'
    if target != root and root not in target.parents:
        return 'symlink to outside the folder (not followed)'
    if target.is_dir():
        return 'symlink to a folder (not followed)'
    return None


def plan_folder(
    root: str | os.PathLike[str],
    *,
    use_git: bool = False,
    include_untracked: bool = True,
    gitignore: bool = True,
    use_defaults: bool = True,
    exclude: Sequence[str] = (),
    allow: Iterable[str] = (),
    content_check: bool = True,
) -> PackPlan:
    """Decide, for every file under ``root``, whether it may be packed; see the module docstring.

    ``use_git`` asks git which files exist (tracked plus untracked-not-ignored); the default
    excludes, ``.synapseignore``, the symlink rule and the content check still apply on top.
    ``exclude`` adds gitignore lines; ``allow`` names files the content check lets through.
    ``use_defaults=False`` drops the junk excludes only: :data:`SECRET_EXCLUDES` always apply.
    """
    src = Path(root)
    if not src.exists():
        raise FileNotFoundError(f'{src} does not exist')
    if not src.is_dir():
        raise NotADirectoryError(f'{src} is not a folder')
    real_root = src.resolve()
    defaults = DEFAULT_EXCLUDES if use_defaults else SECRET_EXCLUDES  # secret files are always left out
    rules = _Rules(src, defaults=defaults, extra=list(exclude), gitignore=gitignore and not use_git)
    allowed = [a.strip('/') for a in allow]
    if allowed:
        rules.extra_layers.append(_Layer('', 'allow option', ['!/' + _anchored(a)[1:] for a in allowed]))
    rules.allowed |= set(allowed)
    plan = PackPlan(src)
    candidates = git_candidates(src, include_untracked) if use_git else None
    if candidates is not None:
        _plan_from_list(plan, rules, real_root, candidates)
    else:
        _plan_from_walk(plan, rules, real_root)
    if content_check:
        keep = []
        for name in plan.files:
            problem = None if name in rules.allowed else secret_content(src / name)
            if problem:
                plan.refused.append(Skipped(name, problem))
            else:
                keep.append(name)
        plan.files = keep
    return plan


def _plan_from_walk(plan: PackPlan, rules: _Rules, real_root: Path) -> None:
    src = plan.root
    rules.enter('')
    for current, dirs, names in os.walk(src):
        rel_dir = Path(current).relative_to(src).as_posix()
        rel_dir = '' if rel_dir == '.' else rel_dir
        kept_dirs = []
        for name in sorted(dirs):
            relative = f'{rel_dir}/{name}' if rel_dir else name
            full = Path(current) / name
            if full.is_symlink():
                reason = rules.excluded_by(relative, False) or _link_problem(full, real_root)
                if reason:
                    plan.excluded.append(Skipped(relative, reason))
                continue
            reason = rules.excluded_by(relative, True)
            if reason:
                plan.excluded.append(Skipped(relative + '/', reason))
            else:
                kept_dirs.append(name)
                rules.enter(relative)
        dirs[:] = kept_dirs
        for name in sorted(names):
            relative = f'{rel_dir}/{name}' if rel_dir else name
            full = Path(current) / name
            reason = rules.excluded_by(relative, False)
            if reason is None and full.is_symlink():
                reason = _link_problem(full, real_root)
            if reason is None and not full.is_file():
                reason = 'not a regular file'
            if reason:
                plan.excluded.append(Skipped(relative, reason))
            else:
                plan.files.append(relative)
    plan.files.sort()


def _plan_from_list(plan: PackPlan, rules: _Rules, real_root: Path, candidates: list[str]) -> None:
    src = plan.root
    entered: set[str] = set()
    for relative in candidates:
        parts = relative.split('/')
        for depth in range(len(parts)):
            folder = '/'.join(parts[:depth])
            if folder not in entered:
                entered.add(folder)
                rules.enter(folder)
        reason = None
        for depth in range(1, len(parts)):  # a default-excluded folder excludes everything in it
            reason = rules.excluded_by('/'.join(parts[:depth]), True, git_decided=True)
            if reason:
                break
        full = src / relative
        reason = reason or rules.excluded_by(relative, False, git_decided=True)
        if reason is None and any(p.is_symlink() for p in [full, *full.parents] if src in p.parents):
            reason = _link_problem(full, real_root) if full.is_symlink() else 'inside a symlinked folder'
        if reason is None and not full.is_file():
            reason = 'not a regular file' if full.exists() else None
            if reason is None:
                continue  # deleted from the work tree but still in the index
        if reason:
            plan.excluded.append(Skipped(relative, reason))
        else:
            plan.files.append(relative)


__all__ = [
    'DEFAULT_EXCLUDES',
    'IGNORE_FILES',
    'JUNK_EXCLUDES',
    'SECRET_EXCLUDES',
    'PackPlan',
    'SecretFileError',
    'Skipped',
    'git_candidates',
    'plan_folder',
    'read_ignore_lines',
    'secret_content',
]
