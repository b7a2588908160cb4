"""The registry of repair rules, keyed by error code and ordered by priority (`rule`, `candidates`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ...edits import Fix
from .site import Site

#: `@rule(ANY, ...)`: the rule serves every error (it reads the message or the spans itself)
ANY = object()
#: the code of an error rustc reports without one ("lifetime may not live long enough")
UNCODED = ""
#: non-guess rules (rustc's own suggestions and rules trusted like them) have priorities below this
GUESSES_FROM = 1000
#: a rule: the fixes it proposes for the error at a site
RuleFn = Callable[[Site], Iterable[Fix]]


@dataclass(frozen=True)
class Example:
    """A rule at work: `before` as the `src/lib.rs` of a clean crate, repaired without the model, must
    be fixed, and the fixed lib.rs contain each of `after`, each text of `counts` exactly that many times,
    and the first text of `order` before the second. `tests/test_rules.py` runs every example."""

    name: str
    before: str
    after: tuple[str, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()
    order: tuple[str, str] | None = None


@dataclass(frozen=True)
class Rule:
    """A registered rule: `fix(site)` yields candidate fixes for the errors of `codes` (None: any error),
    tried in `priority` order (lower first). `guess`: a candidate compilation alone cannot vouch for, so
    it may reveal no new error (`Verifier.judge(reveal=False)`). `span`: runs only when the primary span
    is in a workspace file (`Site.data`). `fallback`: runs only when no non-guess rule offered anything
    for the error."""

    name: str
    fix: RuleFn
    codes: frozenset[str] | None
    priority: int
    guess: bool
    span: bool
    fallback: bool
    family: str
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class Candidate:
    """A rule's fix for one error, and whether it is a guess: proposed by a guess rule (also when a
    non-guess rule proposes the same fix)."""

    fix: Fix
    rule: str
    guess: bool


#: every rule, in priority order
REGISTRY: list[Rule] = []
_by_code: dict[str, list[Rule]] = {}


def rule(*codes: object, priority: int, guess: bool = True, span: bool = True, fallback: bool = False,
         examples: Iterable[Example] = ()) -> Callable[[RuleFn], RuleFn]:
    """Register the decorated function as a rule for the error `codes` (`ANY` alone: every error;
    `UNCODED`: errors without a code). Raises ValueError for a name or priority already taken, a
    non-guess rule among the guesses (`GUESSES_FROM`) or a guess before them, a fallback that is no guess."""
    if ANY in codes and len(codes) > 1:
        raise ValueError("ANY stands alone")

    def register(fn: RuleFn) -> RuleFn:
        r = Rule(fn.__name__, fn, None if ANY in codes else frozenset(str(c) for c in codes), priority, guess,
                 span, fallback, fn.__module__.rsplit(".", 1)[-1], tuple(examples))
        if any(o.name == r.name or o.priority == r.priority for o in REGISTRY):
            raise ValueError(f"rule {r.name}: its name or priority {r.priority} is taken")
        if guess != (priority >= GUESSES_FROM) or (fallback and not guess):
            raise ValueError(f"rule {r.name}: guesses have priorities from {GUESSES_FROM}, only guesses fall back")
        REGISTRY.append(r)
        REGISTRY.sort(key=lambda x: x.priority)
        _by_code.clear()
        return fn
    return register


def rules_for(code: str | None) -> list[Rule]:
    """The rules serving errors of `code`, in priority order."""
    key = code or UNCODED
    found = _by_code.get(key)
    if found is None:
        found = _by_code[key] = [r for r in REGISTRY if r.codes is None or key in r.codes]
    return found


def candidates(site: Site) -> list[Candidate]:
    """Every rule's fixes for the error at `site`, in priority order (the first that verifies wins):
    the non-guess rules' first, then the guesses."""
    found: list[tuple[Fix, Rule]] = []
    offered = False  # by a non-guess rule: then fallbacks stay silent
    for r in rules_for(site.error.code):
        if (r.span and site.data is None) or (r.fallback and offered):
            continue
        fixes = list(r.fix(site))
        found += [(f, r) for f in fixes]
        offered = offered or (bool(fixes) and not r.guess)
    guessed = [f for f, r in found if r.guess]
    return [Candidate(f, r.name, r.guess or f in guessed) for f, r in found]


def examples() -> list[tuple[Rule, Example]]:
    """Every registered rule's examples, in priority order."""
    return [(r, ex) for r in REGISTRY for ex in r.examples]
