"""Repair rules: small fixes rustc's explanations give but its suggestions do not, each verified by cargo.

One module per family, each rule a function of one `Site` declared with `@rule` (registry.py):

- `rustc`: rustc's own suggestions, those of warnings on the error, its placeholders made concrete;
- `notes`: rustc's notes and help that describe a fix in words, by the labels of their spans;
- `mutability` and `borrowing`: shared borrows where mutable ones are needed; moves, conflicts;
- `types`, `fields`, `names` (names and paths), `definitions` (definitions and visibility), `calls`
  (arguments), `syntax`.

`candidates(site)` gives the rules' fixes for one error in priority order; the package docstring of
`ferrofix.repair` says how to add a rule.
"""

# importing the families registers their rules
from . import borrowing, calls, definitions, fields, mutability, names, notes, rustc, syntax, types  # noqa: F401
from .registry import ANY, REGISTRY, UNCODED, Candidate, Example, Rule, candidates, examples, rule, rules_for
from .site import Site

__all__ = ["ANY", "REGISTRY", "UNCODED", "Candidate", "Example", "Rule", "Site", "candidates", "examples", "rule",
           "rules_for"]
