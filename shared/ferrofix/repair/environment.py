"""What the build environment breaks rather than the source: crates the build cannot find, targets that
need a nightly toolchain, sources cargo reads that are not UTF-8. Errors these explain get rustc's
suggestions but no model time."""

from __future__ import annotations

import re
from typing import Callable, Mapping, Sequence

from rapidfuzz.distance import OSA

from ..cargo import Workspace
from ..context import under_cfg_test
from ..diagnostics import Diagnostic
from ..errors import SourceEncodingError


#: an item a crate's sources define (`mod x`, `fn x`, `struct X`, `union U`, `macro_rules! m`, ...);
#: group 1 is its name
DEFINED_NAME = re.compile(rb"\b(?:mod|fn|struct|enum|trait|type|const|static|union|macro_rules!)\s+(\w+)")


class Environment:
    """What the build environment breaks, from one check's errors: crates the build cannot find (a
    Cargo.toml change or an absent dev-dependency; ferrofix never edits manifests) and targets that need
    a nightly toolchain (E0554 `#![feature]`). `explains(e)` says why an error follows from them."""

    def __init__(self, errors: Sequence[Diagnostic], missing_crate: Callable[[Diagnostic], str | None],
                 sources: Mapping[str, bytes] | None = None) -> None:
        """`missing_crate(d)`: the crate an unresolved-crate error names, else None (`Crates.missing`);
        `sources`: the workspace's files (relative path → bytes), to tell a dev-dependency imported under
        `#[cfg(test)]` from one the whole file needs."""
        self.sources = sources or {}
        #: id(error) → the missing crate it names itself
        self.own: dict[int, str] = {}
        #: crate name → the (package id, target name) pairs reporting it missing
        self.missing: dict[str, set[tuple[str, str]]] = {}
        #: (package id, target name, file) of files that import a missing crate at their top level →
        #: (the crate, how many builds reported it missing, whether the import is under `#[cfg(test)]`)
        self.top_level: dict[tuple[str, str, str], tuple[str, int, bool]] = {}
        self.nightly: set[tuple[str, str]] = set()
        for d in errors:
            target = (d.package_id, d.target_name)
            name = missing_crate(d)
            if name is not None:
                self.own[id(d)] = name
                self.missing.setdefault(name, set()).add(target)
                p = d.primary_span
                if p is not None and p.text and not p.text[0].text[:1].isspace():  # unindented `use x::…`
                    key = (*target, p.file_name)
                    gated = self._test_only(p.file_name, p.byte_start)
                    if key not in self.top_level or (self.top_level[key][2] and not gated):
                        self.top_level[key] = (name, d.reported, gated)
            elif d.code == "E0554":
                self.nightly.add(target)

    @property
    def broken_targets(self) -> set[tuple[str, str]]:
        return {t for ts in self.missing.values() for t in ts} | self.nightly

    def explains(self, e: Diagnostic) -> str | None:
        """Why `e` (one of the errors given) follows from the environment, or None for an error the
        source can fix. Covered: the unresolved crate itself (E0463 "can't find crate for `x`", an E0432/E0433 naming an
        undeclared crate); errors whose message or notes name a missing crate ("`x` is imported here, but
        it is an unresolved item"); in a target missing a crate, unresolved macros and attributes (its
        macros and derives) and E0601 (a `main` a missing macro defines), and any error in a file that
        imports the crate at its top level — where that import is under `#[cfg(test)]` (a dev-dependency
        the unit-test build lacks), only the errors in test-only code; E0554 and every error of a target
        that needs nightly."""
        own_missing = self.own.get(id(e))
        if own_missing is not None:
            return (f"needs the crate `{own_missing}`, which the build cannot find (a Cargo.toml change; "
                    "ferrofix does not edit manifests)")
        target = (e.package_id, e.target_name)
        if e.code == "E0554" or target in self.nightly:
            return f"target `{e.target_name}` needs a nightly toolchain (`#![feature]`)"
        texts = [e.message] + [c.message for c in e.children]
        for name in self.missing:
            if any(f"`{name}`" in t or f"`{name}::" in t for t in texts):
                return f"follows from the missing crate `{name}`"
        here = sorted(n for n, targets in self.missing.items() if target in targets)
        if here and (e.code == "E0601" or re.match(r"cannot find (macro|attribute|derive macro) ", e.message)):
            return f"likely from a macro of the missing crate `{here[0]}`"
        # the file of the primary span or of any macro invocation it expands from, unless more builds
        # report the error than miss the crate (the library's own build, besides its unit-test build
        # that imports a dev-dependency under `#[cfg(test)]`)
        span = e.primary_span
        while span is not None:
            found = self.top_level.get((*target, span.file_name))
            if found is not None and e.reported <= found[1] and \
                    (not found[2] or self._test_only(span.file_name, span.byte_start)):
                return f"in a file that uses the missing crate `{found[0]}`"
            span = span.expansion.span if span.expansion else None
        return None

    def _test_only(self, file_name: str, offset: int) -> bool:
        data = self.sources.get(file_name)
        return data is not None and under_cfg_test(data, offset)


class Crates:
    """The crates a workspace declares and the names its sources define, to tell a missing crate from a
    misspelt name."""

    def __init__(self, ws: Workspace, files: Mapping[str, bytes]) -> None:
        """`files`: the workspace's sources (path → bytes), read at the first `missing` call."""
        self.ws = ws
        self.files = files
        self._defined: set[str] | None = None

    def missing(self, e: Diagnostic) -> str | None:
        """The crate an unresolved-path error needs when no package declares it (`insta` in "cannot
        find module or crate `insta`"): a Cargo.toml change, which ferrofix never makes. Else None."""
        if e.code not in ("E0432", "E0433", "E0463"):
            return None
        m = re.search(r"(?:crate|import|crate for) `(\w+)", e.message)
        if not m:
            return None
        name = m.group(1)
        if name in ("crate", "self", "super", "std", "core", "alloc"):
            return None
        declared = {d for p in self.ws.packages for d in p.dependencies} | {p.name.replace("-", "_") for p in self.ws.packages}
        if name in declared:
            return None
        if self._defined is None:  # names the sources define (computed once: fixes rarely add items)
            self._defined = set()
            for b in self.files.values():
                self._defined.update(m.decode() for m in DEFINED_NAME.findall(b))
        defined = self._defined
        if name in defined:
            return None
        # a misspelling of a declared crate, a module or std (`serd`, `colections`) is the source's to fix
        near = declared | {"std", "core", "alloc"} | (defined if e.code != "E0463" else set())
        if any(is_misspelling(name, n) for n in near):
            return None
        return name


def is_misspelling(name: str, of: str) -> bool:
    """Whether identifier `name` is a likely typo of `of`: at most one edit (insert, delete, substitute or
    swap two neighbours; optimal string alignment distance, rapidfuzz) per 4 characters, at least one
    allowed. `serd`/`serde` and `colections`/`collections` are; `rand`/`read` (two edits in four
    characters) is not."""
    return name != of and OSA.distance(name, of) <= max(1, len(name) // 4)


def refuse_undecodable(bad: Mapping[str, str], errors: Sequence[Diagnostic]) -> None:
    """Raise SourceEncodingError when cargo reads a `.rs` file that is not UTF-8 (`bad`: the mirror's
    `undecodable`, path → reason; ferrofix cannot make byte-exact edits there); such a file cargo never
    compiles (test data) is no concern."""
    for e in errors:
        span = e.primary_span
        hit = span.file_name if span and span.file_name in bad else \
            next((rel for rel in bad if "UTF-8" in e.message and rel in e.message), None)
        if hit is None and "valid UTF-8" in e.message and bad:
            hit = next(iter(bad))
        if hit is not None:
            raise SourceEncodingError(bad[hit])
