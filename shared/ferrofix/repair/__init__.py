"""The compile-and-fix loop.

Stages, in order, each candidate verified by a check in a scratch mirror of the workspace
(`mirror.Mirror`) and accepted only when its target error is gone and no new error appears:

1. `rustc-machine-applicable`: all of rustc's MachineApplicable suggestions at once; then
   `rustc-imports`: rustc's "consider importing" suggestions of several unresolved names at once, an
   ambiguous one ("one of these") taken from the path the others share (`edits.imports_together`);
2. `rustc-suggestion`: the candidates of the rules (`rules`) for each error, in their priority order:
   rustc's own suggestions first (MachineApplicable, MaybeIncorrect, then HasPlaceholders without
   placeholders; then those of warnings whose spans overlap the error's; placeholder suggestions made
   concrete, `expect("REASON")` → `?`, `unwrap()`; stubs rejected), then the rules' guesses. A candidate
   that is accepted but uncovers later-stage errors is held while a few more for the same error are
   tried: one that uncovers nothing is taken instead (`loop.CLEAN_SIBLINGS`);
3. `model`: for each remaining error, the enclosing item (tree-sitter) and the error as plain lines go
   to the model, which answers search/replace blocks (greedy), then a whole-item rewrite, then samples.
   A function, method or field the code uses but nothing defines (and rustc names no near miss) is
   written by the model from its uses, next to the type's definition (`modelfix.missing_item`). A
   model candidate that removes the error but adds new ones goes back to the model once with the first
   new error (`model-feedback`: a compiler-feedback round), the two answers verified together.

With `RepairOptions.run_tests` (the user's `repair.runTests`) a candidate that leaves no error must
also pass `cargo test` in the mirror, within a hard time limit.

A candidate that only deletes what the author wrote (a name or a literal, for an error not about
something unused or duplicate) is tried last: after the other suggestions and the model's other answers.

Borrow checking runs only after type checking succeeds, and what uses an unresolved name is not type
checked, so a fix may reveal errors that were hidden before: those are accepted as a "reveal" (bounded),
not as a regression. Errors the build environment causes (a crate the build cannot find, its macros, a
nightly-only target: `Environment`; a dev-dependency imported under `#[cfg(test)]` explains only the
errors in test-only code) get rustc's suggestions but no model time.

Modules: `loop` (`Repairer`, `repair`, the rounds), `results` (options, budget, trace, result),
`verify` (a candidate's verdict, then committing it), `model` (the model stage), `guards` (what a
candidate must not do; deletions held back), `environment` (what the build environment breaks),
`codes` (what error codes mean to the loop), `rules` (one module per family, a registry by error code).

How to add a rule
-----------------
1. Pick the family module in `rules/` (`borrowing`, `mutability`, `types`, `fields`, `names`, `calls`,
   `definitions`, `syntax`, `rustc`, `notes`) and write one function of a `Site` that yields `Fix`es
   (`edits.Fix`, `edits.TextEdit`, applicability `MaybeIncorrect`). A `Site` has the `error`, its primary
   `span`, `file`, `data` (the file's bytes), `text` (the span's), `item` (the enclosing item,
   tree-sitter), all `files`, the `root`, the `last` check, and `type_definition(name)`. Its docstring
   says what the rule does and why rustc's own suggestions do not.
2. Declare it above the function, with its examples:

       @rule("E0599", priority=2300, examples=[
           Example("a-method-name-from-another-language-becomes-the-rust-one", \"""\\
       pub fn count(v: &Vec<u8>) -> usize {
           v.size()
       }
       \""", after=("v.len()",)),
       ])
       def method_synonym(site: Site) -> list[Fix]: ...

   - codes: the error codes it serves (`"E0599"`), `ANY` for every error (the rule reads the message),
     `UNCODED` for errors rustc gives no code;
   - priority: its place in the order of candidates (lower first; the first that verifies wins).
     Below 1000: rustc's own suggestions and rules trusted like them (`guess=False`: a fix may reveal
     later-stage errors); from 1000: guesses (`guess=True`, the default: a fix may reveal no new
     error, since compiling alone cannot vouch for it). Leave gaps; `rules.REGISTRY` lists the order;
   - `span=False` when the rule does not need the primary span in a workspace file (it looks at other
     spans); `fallback=True` when it should only run if rustc itself offered nothing for the error;
   - examples: a clean crate's `src/lib.rs` with the error (`before`) and texts the repaired file
     contains (`after`; also `counts`, `order`). `tests/test_rules.py` runs every example through
     cargo without the model.
3. Nothing else: importing the family module registers the rule (a new family module is added to the
   import in `rules/__init__.py`). Run `pytest tests/test_rules.py -k <example name>`.
4. A rule earns its place on cases it was not written for: it stays only if it fixes held-out cases
   of the development corpus, or cases from two sources (`bench/fixrate.py` prints the per-rule
   table; bench/corpus/README.md). Issue 18 dropped 38 rules that fixed one public case each.
"""

from ..diagnostics import describe
from ..edits import changed_lines, changed_region
from .codes import BORROWCK_CODES, DELETION_OK_CODES, FIELD_CODES, PRIVACY_CODES, RESOLVE_CODES
from .environment import Crates, Environment, is_misspelling
from .guards import deletion_ok
from .loop import Repairer, repair
from .model import MAX_REWRITE_LINES
from .results import Attempt, Budget, RepairOptions, RepairResult, Trace
from .rules.fields import struct_field_types
from .rules.mutability import mutable_reference
from .rules.site import fresh_name
from .rules.types import generic_arity
from .verify import MAX_REVEALS, Verdict, Verifier

__all__ = ["Attempt", "BORROWCK_CODES", "Budget", "Crates", "DELETION_OK_CODES", "Environment", "FIELD_CODES",
           "MAX_REVEALS", "MAX_REWRITE_LINES", "PRIVACY_CODES", "RESOLVE_CODES", "RepairOptions", "RepairResult",
           "Repairer", "Trace", "Verdict", "Verifier", "changed_lines", "changed_region", "deletion_ok", "describe",
           "fresh_name", "generic_arity", "is_misspelling", "mutable_reference", "repair", "struct_field_types"]
