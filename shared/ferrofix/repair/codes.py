"""What error codes mean to the repair loop: the compiler stage that reports them, and what a fix of
them may do (delete code, change a `pub`). Codes from rustc's error index (`rustc --explain EXXXX`)."""

from __future__ import annotations

#: Codes rustc's borrow checker reports; they only appear once type checking passes.
BORROWCK_CODES = frozenset("E0381 E0382 E0383 E0384 E0499 E0502 E0503 E0505 E0506 E0507 E0508 E0509 "
                           "E0373 E0515 E0521 E0594 E0596 E0597 E0712 E0713 E0716 E0626".split())
#: Codes of name resolution (and E0463, of the crates it loads), which runs before type checking: while a
#: name is unresolved, rustc does not type-check what uses it ("type annotations needed" and the like
#: appear once it resolves); a fix never reveals one (rustc's "use a crate named `coore`" causes E0463).
RESOLVE_CODES = frozenset("E0405 E0407 E0408 E0411 E0412 E0415 E0416 E0422 E0423 E0424 E0425 E0426 E0429 "
                          "E0430 E0431 E0432 E0433 E0434 E0435 E0437 E0438 E0531 E0532 E0573 E0574 E0575 "
                          "E0576 E0577 E0603 E0463".split())
#: errors about a type's fields or missing items: the prompt shows the impl's self type definition
FIELD_CODES = frozenset("E0026 E0027 E0046 E0062 E0063 E0559 E0560 E0609 E0610 E0615 E0616".split())
#: privacy errors: their fix may make an item public
PRIVACY_CODES = frozenset("E0603 E0624 E0616 E0451 E0445 E0446 E0364 E0365 E0577 E0742 E0449".split())
#: Codes about unused or duplicate items, where a fix may legitimately only delete code.
DELETION_OK_CODES = frozenset("E0062 E0124 E0201 E0252 E0254 E0255 E0260 E0263 E0403 E0407 E0408 E0415 "
                              "E0416 E0428 E0430 E0431 E0061 E0107 E0050 E0046 E0117 E0119 "
                              "E0120 E0184 E0199 E0200 E0204 E0407 E0437 E0438 E0449 E0451 E0784".split())
