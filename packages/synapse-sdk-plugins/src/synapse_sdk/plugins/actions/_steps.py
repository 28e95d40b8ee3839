"""Ordered steps with rollback: run in order; on failure undo the completed ones in reverse.

Unlike the published package, the caller gets the *original* exception (same type, same
traceback), and every rollback failure is reported on it (``rollback_errors`` and a note) and as
an error event, never swallowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

C = TypeVar('C')


class Step(Generic[C]):
    """One unit of work. Subclasses set ``name`` and override :meth:`execute` (and :meth:`rollback`)."""

    name: str = ''
    progress_weight: float = 1.0

    def execute(self, context: C) -> Any:
        raise NotImplementedError(f'step {self.name!r} must implement execute(context)')

    def rollback(self, context: C, result: Any) -> None:
        """Undo what :meth:`execute` did; ``result`` is what it returned."""

    def can_skip(self, context: C) -> bool:
        return False

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {self.name!r}>'


class FunctionStep(Step[C]):
    """A step from plain functions: ``registry.add('name', execute, rollback)``."""

    def __init__(
        self,
        name: str,
        execute: Callable[[C], Any],
        rollback: Callable[[C, Any], None] | None = None,
        *,
        weight: float = 1.0,
    ) -> None:
        self.name = name
        self.progress_weight = weight
        self._execute = execute
        self._rollback = rollback

    def execute(self, context: C) -> Any:
        return self._execute(context)

    def rollback(self, context: C, result: Any) -> None:
        if self._rollback is not None:
            self._rollback(context, result)


class StepRegistry(Generic[C]):
    """The ordered steps of a workflow; names are unique."""

    def __init__(self) -> None:
        self._steps: list[Step[C]] = []

    def _check(self, step: Step[C]) -> Step[C]:
        if not step.name:
            raise ValueError(f'{step!r} has no name; set `name = ...` on the step class')
        if step.progress_weight < 0:
            raise ValueError(f'step {step.name!r} has a negative progress_weight')
        if any(s.name == step.name for s in self._steps):
            raise ValueError(f'a step named {step.name!r} is already registered')
        return step

    def register(self, step: Step[C]) -> Step[C]:
        self._steps.append(self._check(step))
        return step

    def add(
        self,
        name: str,
        execute: Callable[[C], Any],
        rollback: Callable[[C, Any], None] | None = None,
        *,
        weight: float = 1.0,
    ) -> Step[C]:
        return self.register(FunctionStep(name, execute, rollback, weight=weight))

    def _index(self, name: str) -> int:
        for index, step in enumerate(self._steps):
            if step.name == name:
                return index
        raise KeyError(f'no step named {name!r}; steps: {", ".join(self.names) or "none"}')

    def insert_before(self, name: str, step: Step[C]) -> Step[C]:
        self._steps.insert(self._index(name), self._check(step))
        return step

    def insert_after(self, name: str, step: Step[C]) -> Step[C]:
        self._steps.insert(self._index(name) + 1, self._check(step))
        return step

    def unregister(self, name: str) -> Step[C]:
        return self._steps.pop(self._index(name))

    @property
    def names(self) -> list[str]:
        return [s.name for s in self._steps]

    def get_steps(self) -> list[Step[C]]:
        return list(self._steps)

    @property
    def total_weight(self) -> float:
        return sum(s.progress_weight for s in self._steps)

    def __iter__(self) -> Iterator[Step[C]]:
        return iter(list(self._steps))

    def __len__(self) -> int:
        return len(self._steps)

    def __bool__(self) -> bool:
        return bool(self._steps)


@dataclass
class RollbackFailure:
    """A step whose rollback raised; ``error`` keeps the exception and its traceback."""

    step: str
    error: BaseException

    def __str__(self) -> str:
        return f'rollback of step {self.step!r} failed: {type(self.error).__name__}: {self.error}'


@dataclass
class StepsOutcome:
    executed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)


class StepHooks(Generic[C]):
    """Callbacks the runner reports to (events, progress); all optional."""

    def started(self, step: Step[C]) -> None: ...

    def completed(self, step: Step[C], done: float, total: float) -> None: ...

    def failed(self, step: Step[C], error: BaseException) -> None: ...

    def rolling_back(self, step: Step[C]) -> None: ...

    def rollback_failed(self, failure: RollbackFailure) -> None: ...


def attach_rollback_failures(error: BaseException, failures: list[RollbackFailure]) -> None:
    """Put rollback failures on the original exception without changing its type."""
    try:
        error.rollback_errors = failures  # type: ignore[attr-defined]
    except AttributeError:  # exceptions with __slots__
        return
    for failure in failures:
        if hasattr(error, 'add_note'):
            error.add_note(str(failure))
        else:  # Python 3.10: same attribute the 3.11 traceback printer reads
            notes = list(getattr(error, '__notes__', []))
            notes.append(str(failure))
            error.__notes__ = notes  # type: ignore[attr-defined]


def run_steps(
    registry: StepRegistry[C],
    context: C,
    hooks: StepHooks[C] | None = None,
    *,
    undo_partial: Callable[[Step[C]], list[RollbackFailure]] | None = None,
    finalise_rollback: Callable[[], list[RollbackFailure]] | None = None,
) -> StepsOutcome:
    """Run the steps in order. On failure roll back and re-raise the original exception.

    ``undo_partial(step)`` undoes what the failing step had already recorded; completed steps are
    then rolled back newest first; ``finalise_rollback()`` sweeps anything left.
    """
    hooks = hooks or StepHooks()
    outcome = StepsOutcome()
    completed: list[tuple[Step[C], Any]] = []
    total = registry.total_weight or float(len(registry)) or 1.0
    done = 0.0
    for step in registry:
        weight = step.progress_weight if registry.total_weight else 1.0
        if step.can_skip(context):
            outcome.skipped.append(step.name)
            done += weight
            hooks.completed(step, done, total)
            continue
        hooks.started(step)
        try:
            result = step.execute(context)
        except BaseException as error:
            hooks.failed(step, error)
            failures = undo_partial(step) if undo_partial else []
            for finished, finished_result in reversed(completed):
                hooks.rolling_back(finished)
                try:
                    finished.rollback(context, finished_result)
                except Exception as rollback_error:
                    failures.append(RollbackFailure(finished.name, rollback_error))
            failures.extend(finalise_rollback() if finalise_rollback else [])
            for failure in failures:
                hooks.rollback_failed(failure)
            attach_rollback_failures(error, failures)
            raise
        completed.append((step, result))
        outcome.executed.append(step.name)
        outcome.results[step.name] = result
        done += weight
        hooks.completed(step, done, total)
    return outcome
