"""The model stage: for each remaining error, the enclosing item (tree-sitter) and the error as plain
lines go to the model, which answers search/replace blocks (greedy) — or, where rustc's placeholder
scaffold is applied, the completed placeholder lines — then a whole-item rewrite, then samples; each
answer is applied, guarded (`guards.guard`) and verified like any candidate."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Mapping, NamedTuple, Sequence

from .. import modelfix
from ..cargo import Cancellation, CheckResult
from ..context import (ItemContext, associated_items_named, declared_fields, enclosing_item, first_item_kind,
                       impl_self_type, impl_trait_at, match_arm_patterns, method_owners, method_signatures,
                       name_placeholder_parameters, other_implementations, trait_method_parameters, type_definition,
                       window)
from ..diagnostics import Diagnostic, Span, describe
from ..edits import OverlappingEditsError, apply_to_files, changed_lines, is_stub, suggestion_fixes
from ..errors import CheckCancelledError, ContextOverflowError, ModelAnswerError
from ..llm import Completion, Engine
from .codes import BORROWCK_CODES, FIELD_CODES
from .guards import Deletions, guard
from .results import Budget, RepairOptions, Trace
from .verify import Verifier

#: Items longer than this (lines) are fixed with search/replace only, never rewritten whole.
MAX_REWRITE_LINES = 50
#: Compiler-feedback rounds per error: model candidates that removed the error but added new ones,
#: sent back to the model with the first new error (`ModelStage._feedback`).
MAX_FEEDBACK = 2
#: Model rounds per error (`RepairOptions.resample`): the first, the same plan without the knowledge
#: base's examples, then the samples again with new seeds, with and without the examples by turns —
#: while the time budget lasts. Unfixed cases ended with tens of seconds of their budget unused
#: (bench/README.md, "Session 32": 4 rounds, held-out error index every-2 51 -> 52/69), and again once
#: kept prompts made a round faster ("Session 34": 8 rounds).
MAX_MODEL_ROUNDS = 8


class _Scaffold(NamedTuple):
    """A rustc placeholder suggestion applied to one file (`ModelStage._scaffold`)."""

    title: str
    #: the file's bytes with the suggestion applied
    data: bytes
    #: bytes and lines the text before the error's span moved by
    shift_bytes: int
    shift_lines: int
    #: 1-based lines holding a placeholder
    fill: set[int]
    #: rustc's suggested text → as applied (its `_` parameters named), for the prompt's error text
    renamed: tuple[tuple[str, str], ...] = ()


class _Base(NamedTuple):
    """What a model answer is applied to (`ModelStage._base`)."""

    data: bytes
    #: the item around the error in `data`
    item: ItemContext
    #: the error's 1-based line, and the lines to mark as the error and for completion
    error_line: int
    error_lines: set[int]
    fill: set[int]


class _Question(NamedTuple):
    """What the model is asked about one error, prepared once for all its rounds
    (`ModelStage._question`)."""

    #: the error's file, and rustc's placeholder scaffold applied to it, if any
    rel: str
    scaffold: _Scaffold | None
    #: what answers apply to: the file with the scaffold, then as it is
    bases: list[_Base]
    #: related code for the prompt, and file → the line a SEARCH block for it is looked for near
    extra: str
    related: dict[str, int]
    #: one more instruction for a missing item (`modelfix.missing_item_hint`)
    hint: str
    #: the knowledge base's examples
    examples: list[modelfix.Example]


@dataclass(eq=False)
class ModelStage:
    """Model candidates for the errors of one run in the workspace at `root`, with knowledge-base
    `examples` for the prompt when given."""

    engine: Engine
    opt: RepairOptions
    trace: Trace
    progress: Callable[[str], None]
    root: Path
    cancel: Cancellation | None
    examples: Callable[[Diagnostic], Sequence[modelfix.Example]] | None = None
    #: model tokens read and written
    tokens: int = 0
    #: answers with nothing that parses as an edit, and whether any answer parsed
    unparsable: int = 0
    parsed_any: bool = False

    def run(self, v: Verifier, work: list[Diagnostic], errors: list[Diagnostic], budget: Budget) -> CheckResult | None:
        """Model candidates for up to `max_model_errors` of `work`; the first verified one wins. Every
        error's first round comes before any error's second (`RepairOptions.resample`: up to
        MAX_MODEL_ROUNDS rounds), so a fix that a later error's first round finds is not delayed by an
        earlier error's resampling. An answer that only deletes what the author wrote (`break 2 * i;` →
        `break;`) waits until the other answers were tried — every error's, in all rounds — like the
        rules' deleting candidates."""
        chosen = work[: self.opt.max_model_errors]
        deletions = Deletions("deletion, after the other answers")
        seen: dict[int, set[bytes]] = {id(e): set() for e in chosen}
        feedback: dict[int, int] = {id(e): 0 for e in chosen}
        # nothing is kept until a round returns, so each error's question holds for all rounds
        questions: dict[int, _Question | None] = {}
        for again in range(MAX_MODEL_ROUNDS if self.opt.resample else 1):
            if budget.exhausted():
                break
            for e in chosen:
                if id(e) not in questions:
                    questions[id(e)] = self._question(v.state, e)
                q = questions[id(e)]
                if q is None:
                    continue
                res = self._round(v, e, q, errors, budget, again, seen[id(e)], feedback, deletions)
                if res is not None:
                    return res
                if budget.exhausted():
                    break
        return deletions.try_held(v, errors, budget)

    def _round(self, v: Verifier, e: Diagnostic, q: _Question, errors: list[Diagnostic], budget: Budget,
               again: int, seen: set[bytes], feedback: dict[int, int], deletions: Deletions) -> CheckResult | None:
        """One round of model candidates for `e` asked as `q` (`again`: the rounds before it, see
        `_candidates`);
        the accepted check, or None. A candidate that only deletes code goes to `deletions` (`run` tries
        them last). `seen`: the error's candidates so far; `feedback`: compiler-feedback rounds used per
        error (at most MAX_FEEDBACK)."""
        for stage, label, changes, tokens in self._candidates(v.state, e, q, budget, again=again, seen=seen):
            if deletions.hold(stage, e, label, changes, v.state, tokens):
                continue
            verdict = v.judge(stage, [e], label, changes, errors, tokens=tokens)
            if verdict.accepted:
                return v.commit(verdict)
            if verdict.new_errors and feedback[id(e)] < MAX_FEEDBACK and not budget.exhausted():
                feedback[id(e)] += 1
                res = self._feedback(v, e, changes, verdict.new_errors, errors, budget, stage, label)
                if res is not None:
                    return res
            if budget.exhausted():
                break
        return None

    def _feedback(self, v: Verifier, e: Diagnostic, changes: dict[str, bytes], new: Sequence[Diagnostic],
                  errors: list[Diagnostic], budget: Budget, stage: str, label: str) -> CheckResult | None:
        """A compiler-feedback round (RustAssistant's loop, Deligiannis et al., ICSE 2025): the candidate
        `changes` removed `e` but the check reported `new` errors, so the model sees the code with the
        candidate applied and the first new error, and its greedy search/replace answer is applied on
        top. The two together are verified like any candidate, against the errors before the first
        (`e` gone, nothing new). Returns the accepted check, or None."""
        files = {**v.state, **changes}
        target = next((d for d in new if d.primary_span is not None), None)
        if target is None:
            return None
        self.progress(f"compiler feedback: {describe(target)}")
        q = self._question(files, target)
        second = next(self._candidates(files, target, q, budget, plans=1), None) if q is not None else None
        if second is None:
            return None
        _stage, label2, changes2, tokens = second
        return v.attempt(f"{stage}-feedback", [e], f"{label}, then {label2} for {describe(target)}",
                         {**changes, **changes2}, errors, tokens=tokens)

    def _question(self, files: Mapping[str, bytes], e: Diagnostic) -> _Question | None:
        """What the model is asked about `e` in `files`: rustc's placeholder scaffold applied, if any
        (`_scaffold`), the item around the error, the related code (`related_lines`), the missing-item
        hint and the knowledge base's examples (one embedding and one index search). None when the
        error has no primary span in the workspace's files."""
        span = e.primary_span
        if span is None:
            return None
        span = span.invocation_site(self.root)
        rel = span.file_name
        if rel not in files:
            return None
        scaffold = self._scaffold(files, e, rel, span.byte_start)
        bases = [self._base(files, e, rel, span, scaffold)] if scaffold is not None else []
        bases.append(self._base(files, e, rel, span, None))
        item, error_lines, fill = bases[0].item, bases[0].error_lines, bases[0].fill
        extra, related, named = related_lines(files, e, item, rel)
        hint = ""
        missing = modelfix.missing_item(e)
        if missing is not None and missing.kind in ("method", "associated item") and named:
            missing = None  # the crate defines it, for another type or in a trait (`related_lines` shows it)
        if missing is not None:
            # the missing item is written from its uses; one that belongs on a type goes next to its
            # definition, which the prompt shows
            shown = False
            if missing.owner and (found := type_definition(files, missing.owner)) is not None:
                f, d = found
                shown = True
                if not (f == rel and item.byte_start <= d.byte_start < item.byte_end) and d.text not in extra:
                    extra = f"{extra}\n// {f}:{d.line_start}\n{d.text}".strip("\n")
                    related.setdefault(f, d.line_start + d.text.count("\n"))
            hint = modelfix.missing_item_hint(missing, shown)
        examples = list(self.examples(e)) if self.examples else []
        return _Question(rel, scaffold, bases, extra, related, hint, examples)

    def _candidates(self, files: Mapping[str, bytes], e: Diagnostic, q: _Question, budget: Budget,
                    plans: int | None = None, *, again: int = 0, seen: set[bytes] | None = None
                    ) -> Iterator[tuple[str, str, dict[str, bytes], int]]:
        """Model candidates for one error, asked as `q` (`_question`), as (stage, label, changes,
        tokens): the stage is "model-kb" when knowledge-base examples were in the prompt, else "model".
        `again` > 0 asks again (`RepairOptions.resample`): the first time the same plan without the
        examples — or, without examples, the samples with new seeds — staged "model-resample"; later
        the samples with new seeds, with the examples ("model-kb-resample") and without by turns.
        `seen` holds the error's candidates given so far (none is given twice).

        When rustc suggests a scaffold with placeholders (`_scaffold`), the prompt shows the code with it
        applied and asks for the placeholders to be completed; an answer that instead fixes the code as
        it was (adding the match arm itself) is applied to the original. `plans`: at most that many
        model answers (the greedy search/replace first)."""
        rel, scaffold, bases, extra, related, hint, examples = q
        item, error_lines, fill = bases[0].item, bases[0].error_lines, bases[0].fill
        # greedy search/replace, greedy item rewrite, then the samples: each kind's in one batch
        # (`Engine.chat_n`), search/replace first. With a scaffold whose placeholder is one run of
        # lines, "fill" (just those lines completed) takes search/replace's place: asked for blocks,
        # the default model copied a 60-line `match` or `impl` into SEARCH until its answer was cut off
        local = "fill" if modelfix.one_run(fill) else "search_replace"
        sampled = [t for t in [(local, 0.8, (self.opt.samples + 1) // 2), ("item", 0.8, self.opt.samples // 2)]
                   if t[2] > 0]
        first_round = [(local, 0.0, 1), ("item", 0.0, 1)] + sampled

        def round_plan(r: int) -> tuple[list[tuple[str, float, int]], list[modelfix.Example], str]:
            """Round `r`'s (kind, temperature, count) steps, the examples it shows and its stage. Asked
            again when no answer of the earlier rounds was accepted: the same plan from the prompt
            without the knowledge-base examples — an example of another error can hold the model to
            the wrong fix — or, without examples, the samples again with new seeds; after that the
            samples with new seeds, with the examples and without by turns."""
            if r == 0:
                return first_round, examples, "model-kb" if examples else "model"
            shown = examples if r % 2 == 0 else []
            return (first_round if examples and r == 1 else sampled), shown, \
                "model-kb-resample" if shown else "model-resample"

        steps, shown, stage = round_plan(again)
        seed = sum(count for r in range(again) for _kind, _temp, count in round_plan(r)[0])  # each answer its own
        seen = set() if seen is None else seen
        item_lines = item.text.count("\n") + 1
        for kind, temp, count in steps[:plans]:
            first, seed = seed, seed + count  # each answer its own seed, as when asked one by one
            if kind == "item" and (item.kind == "window" or item_lines > MAX_REWRITE_LINES):
                continue
            if budget.exhausted():
                return
            msgs = modelfix.build_prompt(kind, rel, item, e, error_lines, extra, shown,
                                         scaffold=scaffold.title if scaffold else "", fill_lines=fill, hint=hint)
            for a, b in scaffold.renamed if scaffold else ():  # the error's help line as applied
                msgs[-1]["content"] = msgs[-1]["content"].replace(a, b)
            self.progress(f"asking {self.engine.name} ({kind}{f', {count} samples' if count > 1 else ''}"
                          f"{', again' if again else ''}) about {describe(e)}")
            # an item rewrite repeats the item: allow its length plus room for the fix
            max_tokens = self.opt.max_tokens if kind != "item" else \
                min(2048, max(self.opt.max_tokens, len(item.text) // 3 + 128))
            cancelled = (lambda: self.cancel.cancelled) if self.cancel else (lambda: False)
            # an answer is cut off when the run's time budget ends (or the user cancels)
            should_stop = lambda: cancelled() or budget.left <= 0  # noqa: E731
            try:
                if count == 1:
                    answers = [self.engine.chat(msgs, max_tokens=max_tokens, temperature=temp, seed=first,
                                                should_stop=should_stop)]
                else:
                    answers = self.engine.chat_n(msgs, count, max_tokens=max_tokens, temperature=temp,
                                                 seed=first, should_stop=should_stop)
            except ContextOverflowError as ex:
                self.trace.record("model", describe(e), kind, "rejected", f"prompt too long ({ex})", 0, 0)
                continue
            except CheckCancelledError:
                if cancelled():
                    raise
                self.trace.record("model", describe(e), f"{kind} (T={temp})", "rejected", "the time budget ran out", 0, 0)
                return
            for c in answers:
                yield from self._candidate(files, e, c, kind, temp, bases, rel, related, stage, seen)

    def _candidate(self, files: Mapping[str, bytes], e: Diagnostic, c: Completion, kind: str, temp: float,
                   bases: Sequence[_Base], rel: str, related: dict[str, int], stage: str, seen: set[bytes]
                   ) -> Iterator[tuple[str, str, dict[str, bytes], int]]:
        """One model answer `c` as a guarded candidate (at most one), applied to the first of `bases` it
        fits; `seen` holds the candidates already given, which are not given again."""
        tokens = c.prompt_tokens + c.completion_tokens
        self.tokens += tokens
        label = f"{kind} (T={temp})"
        # an answer is read by what it holds: search/replace blocks whatever was asked, else the code
        # block an item rewrite or the completed scaffold lines ("fill") asked for
        blocks = modelfix.strip_copied_labels(modelfix.parse_search_replace(c.text),
                                              [sp.label or "" for sp in e.spans])
        code = None
        if blocks:
            reason = "SEARCH text not found in the file"
        else:
            code = modelfix.parse_code_block(c.text)
            reason = "no code block in the answer"
            if kind == "search_replace":
                # asked for blocks, a small model often answers with the rewritten item in a code block:
                # taken as an item rewrite when it starts with an item (a snippet of statements is not)
                if code is not None and first_item_kind(code) is None:
                    code = None
                reason = "no SEARCH/REPLACE block in the answer"
        if not blocks and not code:
            self._unparsable(c.text, reason, label, e, tokens)
            return
        why = ""
        changes: dict[str, bytes] = {}
        for base in bases:
            text = base.data.decode("utf-8")
            if blocks:
                texts = _apply_blocks(files, blocks, rel, text, base.error_line, related)
            elif kind == "fill":
                new_text = modelfix.apply_fill(text, base.item, base.fill, code)
                texts = {rel: new_text} if new_text is not None else None
            elif base.item.kind == "window":
                continue  # a window is not an item: a rewrite cannot be placed
            else:
                new_text = modelfix.apply_item_rewrite(text, base.item, base.data, code)
                texts = {rel: new_text} if new_text is not None else None
            if texts is None:
                continue
            self.parsed_any = True
            encoded = {f: t.encode("utf-8") for f, t in texts.items()}
            changes = {f: b for f, b in encoded.items() if b != files[f]}
            why = next((w for f, new in changes.items()
                        if (w := guard(e, base.item if f == rel else None, files[f], new))), "")
            if not why:
                break
        else:
            if not changes and not why:
                self._unparsable(c.text, reason, label, e, tokens)
                return
        key = b"\0".join(f.encode() + b"\0" + b for f, b in sorted(changes.items()))
        if not changes or key in seen:
            self.trace.record("model", describe(e), label, "rejected", "same as an earlier candidate or no change", 0, tokens)
            return
        seen.add(key)
        if why:
            self.trace.record("model", describe(e), label, "rejected", why, 0, tokens)
            return
        yield stage, label, changes, tokens

    def _base(self, files: Mapping[str, bytes], e: Diagnostic, rel: str, span: Span, scaffold: _Scaffold | None) -> _Base:
        """What a model answer applies to: the file as it is, or with rustc's `scaffold` applied."""
        data, fill, shift_bytes, shift_lines = files[rel], set(), 0, 0
        if scaffold is not None:
            data, fill, shift_bytes, shift_lines = scaffold.data, scaffold.fill, scaffold.shift_bytes, scaffold.shift_lines
        error_line = span.line_start + shift_lines
        item = enclosing_item(data, span.byte_start + shift_bytes, span.byte_end + shift_bytes)
        if item is None or item.text.count("\n") > 200:
            lo, hi, text = window(data, error_line, 15)
            start = len("".join(data.decode("utf-8").splitlines(keepends=True)[: lo - 1]).encode())
            item = ItemContext("window", start, start + len(text.encode()), lo, text.rstrip("\n"), 0)
        error_lines = {s.line_start + shift_lines for s in e.spans if s.file_name == rel and s.is_primary} or {error_line}
        return _Base(data, item, error_line, error_lines, fill)

    def _scaffold(self, files: Mapping[str, bytes], e: Diagnostic, rel: str, at: int) -> _Scaffold | None:
        """rustc's first placeholder suggestion for `e` (`Kind::C => todo!()`, a missing trait method with a
        `todo!()` body, `field: /* value */`) applied to `rel`, for the model to complete; `at` is the byte
        whose move the result records. None when rustc has none, or it edits another file."""
        for fix in suggestion_fixes(e, self.root, stubs=True)[:1]:
            if any(ed.file != rel for ed in fix.edits):
                return None
            edits = list(fix.edits)
            renamed: tuple[tuple[str, str], ...] = ()
            if e.code == "E0004":  # the missing arm as the other arms write theirs
                siblings = match_arm_patterns(files[rel], at)
                edits = [replace(ed, new_text=_ARM.sub(lambda m: m[1] + modelfix.arm_like_siblings(m[2], siblings)
                                                       + m[3], ed.new_text)) for ed in edits]
            elif e.code == "E0046" and (impl := impl_trait_at(files[rel], at)) is not None:
                # rustc writes `_` for each parameter: named as the trait declares them, the body the
                # model writes can use them (it did, unbound: `queue.value`)
                trait, start = impl
                self_type = impl_self_type(files[rel], at)

                def names(method: str, types: list[str]) -> list[str | None] | None:
                    return trait_method_parameters(files, trait, method, (rel, start), types, self_type)
                named = [replace(ed, new_text=name_placeholder_parameters(ed.new_text, names)) for ed in edits]
                renamed = tuple((a.new_text.strip(), b.new_text.strip()) for a, b in zip(edits, named)
                                if a.new_text != b.new_text)
                edits = named
            try:
                new = apply_to_files(files, edits)[rel]
            except (OverlappingEditsError, ValueError):
                return None
            before = [ed for ed in edits if ed.byte_end <= at]
            shift = sum(len(ed.new_text.encode()) - (ed.byte_end - ed.byte_start) for ed in before)
            old_b = files[rel]
            lines = sum(ed.new_text.count("\n") - old_b[ed.byte_start:ed.byte_end].count(b"\n") for ed in before)
            text = new.decode("utf-8").split("\n")
            fill = {n for n in changed_lines(old_b.decode("utf-8"), new.decode("utf-8")) if is_stub(text[n - 1])}
            title = fix.title
            for a, b in renamed:
                title = title.replace(a, b)
            return _Scaffold(title, new, shift, lines, fill, renamed)
        return None

    def _unparsable(self, answer: str, reason: str, label: str, e: Diagnostic, tokens: int) -> None:
        self.trace.record("model", describe(e), label, "rejected", reason, 0, tokens)
        if reason.startswith("no "):
            self.unparsable += 1
        if not self.parsed_any and self.unparsable >= self.opt.max_unparsable_answers:
            raise ModelAnswerError(f"{self.engine.name} answered {self.unparsable} times with nothing that parses "
                                   f"as an edit (last: {answer.strip()[:60]!r}); try another model")


#: a line of rustc's missing-arm scaffold: `    &syn::Data::Struct(_) => todo!()` (indent, pattern, the rest)
_ARM = re.compile(r"^(\s*,?\s*)(\S.*?)(\s*=>\s*todo!\(\).*)$", re.M)


def _apply_blocks(files: Mapping[str, bytes], blocks: Sequence[tuple[str, str]], rel: str, text: str, line: int,
                  related: dict[str, int]) -> dict[str, str] | None:
    """Apply SEARCH/REPLACE blocks: each in the error's file `rel` near `line`, else in a file of the
    related code shown in the prompt (`related`: file → a 1-based line the diagnostic points at), so
    a fix that belongs in a definition (`const fn`, a trait's method) can go there. Returns file →
    new text for every file a block changed, or None when a block matches nowhere."""
    texts = {rel: text}
    for block in blocks:
        for f, near in [(rel, line)] + [(f, n) for f, n in related.items() if f != rel]:
            cur = texts.get(f)
            if cur is None:
                cur = files[f].decode("utf-8")
            out = modelfix.apply_search_replace(cur, [block], near)
            if out is not None:
                texts[f] = out
                break
        else:
            return None
    return texts


def related_lines(files: Mapping[str, bytes], e: Diagnostic, item: ItemContext, rel: str
                  ) -> tuple[str, dict[str, int], list[tuple[str, int, str, str]]]:
    """Code the diagnostic's other spans point at outside the item (the enum whose variant is
    missing, the function whose signature is called): the enclosing item when it is short, else
    the line; each with its location; the workspace's definition of a trait the message names
    ("not a member of trait `Foo`"); for a missing trait method (E0046), the method as the crate's
    other impls of the trait write it (`context.other_implementations`; at most 3, none that reads a
    field the impl's own type does not declare or calls a method the crate defines only for other
    types, `context.method_owners`); for an associated item a type lacks (E0599 "no method named `foo`
    found for ..."), the items of the type's impl blocks and the crate's items of that name in any impl
    or trait (`context.associated_items_named`). At most ~1,500 characters.
    Also returns file → the first 1-based line shown from it (where a SEARCH block for that file is
    looked for), and for such an E0599 all of the crate's items of that name (`associated_items_named`;
    empty for other errors)."""
    out: list[str] = []
    examples: set[str] = set()
    where: dict[str, int] = {}
    named: list[tuple[str, int, str, str]] = []
    for s in list(e.spans) + [cs for c in e.children for cs in c.spans]:
        if s.suggested_replacement is not None or s.is_internal or s.file_name not in files:
            continue
        if s.file_name == rel and item.byte_start <= s.byte_start < item.byte_end:
            continue
        data = files[s.file_name]
        other = enclosing_item(data, s.byte_start, s.byte_end, max_lines=30)
        if other is not None and other.text.count("\n") < 30 and not (
                s.file_name == rel and other.byte_start <= item.byte_start < other.byte_end):
            out.append(f"// {s.file_name}:{other.line_start}\n{other.text}")
        elif s.text:
            out.append(f"// {s.file_name}:{s.line_start}\n{s.text[0].text}")
        else:
            continue
        where.setdefault(s.file_name, s.line_start)
    # the definition of the impl's self type, for errors about its fields or missing items (E0046
    # `deref` returns `&self.value`); other errors are better off with the shorter prompt
    name = impl_self_type(files[rel], item.byte_start)
    wants_fields = e.code in FIELD_CODES or "field" in e.message
    definition = type_definition(files, name) if name and wants_fields else None
    if definition is not None and not (definition[0] == rel and item.byte_start <= definition[1].byte_start
                                       < item.byte_end):
        f, d = definition
        out.append(f"// {f}:{d.line_start}\n{d.text}")
        where.setdefault(f, d.line_start)
    # a trait the message names ("not a member of trait `Foo`", "the trait `Shape` is not implemented
    # for"), defined in the workspace: the fix may belong in it
    for trait in dict.fromkeys(re.findall(r"\btrait `(?:[\w:]*::)?(\w+)(?:<[^`]*)?`", e.message)):
        found = type_definition(files, trait, ("trait",))
        if found is not None and not (found[0] == rel and found[1].byte_start < item.byte_end
                                      and item.byte_start < found[1].byte_end):
            f, d = found
            out.append(f"// {f}:{d.line_start}\n{d.text}")
            where.setdefault(f, d.line_start)
    # a missing trait method (E0046): how the crate's other impls of the trait write it
    span = e.primary_span
    missing = re.findall(r"`(\w+)`", e.message.partition("missing:")[2]) if e.code == "E0046" else []
    impl = impl_trait_at(files[rel], span.byte_start) if missing and span is not None else None
    if impl is not None:  # examples to read, not places to edit: not in `where`
        shown: set[str] = set()
        # an example that reads fields this type lacks is no template (the default model copied an
        # `Iterator::next` over `self.first` into an impl for a struct of `slice` and `index`)
        fields = declared_fields(definition[1].text) if definition is not None else None
        owners: dict[str, set[str]] | None = None
        for f, line, text in other_implementations(files, impl[0], missing, (rel, impl[1]), limit=6):
            used = set(re.findall(r"\bself\.(\w+)\b(?!\s*(?:\(|::))", text))
            if fields is not None and not used <= fields:
                continue
            # nor one that calls a method the crate defines only for other types (`Display::fmt` of a
            # `StrSpan` writes `self.as_str()`; the default model copied it into `TextPos`'s)
            if called := set(re.findall(r"\bself\.(\w+)\s*(?:::\s*<[^>]*>\s*)?\(", text)):
                owners = method_owners(files) if owners is None else owners
                if any(m in owners and not owners[m] & {name, ""} for m in called):
                    continue
            if text.strip() not in shown and len(shown) < 3:
                shown.add(text.strip())
                example = f"// {f}:{line} (`{impl[0]}` implemented for another type)\n{text}"
                examples.add(example)
                out.append(example)
    # a borrow error on `self`: the methods that borrow it (`as_ref(&self)` instead of moving `*self`)
    if name and e.code in BORROWCK_CODES and "self" in e.message:
        borrowing = [sig for sig in method_signatures(files[rel], name, limit=60)
                     if re.search(r"\(\s*&(?:'\w+\s+)?(?:mut\s+)?self\b", sig)][:15]
        if borrowing:
            out.append(f"// methods of `{name}` that borrow `self` (signatures)\n" + "\n".join(borrowing))
    # an associated item the message says a type lacks (E0599 "no method named `foo` found for
    # reference `&i32`", "no associated item named `Bar` found for struct `Foo`"): what the type's impl
    # blocks do define, and where the crate defines an item of that name (for another type, a trait
    # object, in a trait) — the fix is often one of those (`Foo::BAR`, `(x as &dyn T).foo()`)
    if (lacks := _LACKS.match(e.message)) is not None:
        wanted, owner = lacks.group(1), _base_type(lacks.group(2))
        members = [sig for f in sorted(files) if f.endswith(".rs") and owner.encode() in files[f]  # else no impl
                   for sig in method_signatures(files[f], owner, kinds=("function_item", "const_item", "type_item"))]
        if members:
            out.append(f"// items of `{owner}` in its impl blocks (signatures)\n" + "\n".join(members[:15]))
        named = list(associated_items_named(files, wanted))
        for f, line, header, sig in named[:3]:
            out.append(f"// {f}:{line} `{wanted}` in `{header}`\n{sig}")
    return _within(list(dict.fromkeys(out)), 1500, examples), where, named


#: rustc's message for an associated item a type lacks: (the item's name, the type as rustc writes it)
_LACKS = re.compile(r"^no (?:method|associated item|function or associated item|variant or associated item|"
                    r"associated function|associated constant) named `(\w+)` found for [\w ]*?`([^`]+)`")


def _base_type(ty: str) -> str:
    """The name of the type rustc writes as `ty`, references and generic arguments stripped: `Foo`
    of `&mut a::Foo<T>`, `i32` of `&i32`."""
    ty = re.sub(r"^(?:&(?:'\w+\s+)?(?:mut\s+)?)+", "", ty.strip()).split("<")[0]
    return ty.rpartition("::")[2].strip()


def _within(blocks: Sequence[str], limit: int, examples: set[str]) -> str:
    """`blocks` joined by newlines in at most ~`limit` characters, each whole or cut at a line end
    with a `// ...` line: a block that does not fit in the room left is cut there, or left out when
    it is one of `examples` (another impl's method, shown to be read whole: the default model copied
    an example cut mid-line, `Err(Utf16PairError::UnexpectedTra`, into its answer)."""
    out: list[str] = []
    room = limit
    for block in blocks:
        if len(block) + 1 <= room:
            out.append(block)
            room -= len(block) + 1
        elif block not in examples and room > 80:
            cut = block[: room - len("\n// ...")].rpartition("\n")[0]
            if cut.count("\n") >= 1:  # more than the location line
                out.append(cut + "\n// ...")
            room = 0
    return "\n".join(out)
