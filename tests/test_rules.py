"""The repair rules (`ferrofix.repair.rules`): every rule's examples run through cargo without the model,
and the registry's order and policies."""

import pytest

from ferrofix.diagnostics import MAYBE_INCORRECT, Diagnostic
from ferrofix.edits import Fix
from ferrofix.repair import RepairOptions, repair
from ferrofix.repair.rules import REGISTRY, Site, examples, registry, rules_for


def fixed_lib(crate, source: str) -> str:
    """`source` as the lib.rs of a clean crate, repaired without the model: asserts the crate got
    fixed and returns the fixed lib.rs."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(source)
    res = repair(root, RepairOptions(use_llm=False))
    assert res.fixed, res.trace
    return res.files["src/lib.rs"].decode()


@pytest.mark.parametrize("example", [ex for _rule, ex in examples()], ids=lambda ex: ex.name)
def test_a_rule_fixes_its_example_without_the_model(crate, example):
    src = fixed_lib(crate, example.before)
    for text in example.after:
        assert text in src, src
    for text, n in example.counts:
        assert src.count(text) == n, src
    if example.order:
        assert src.index(example.order[0]) < src.index(example.order[1]), src


#: The order in which the loop tried candidates before the registry (issue 17): the `+` chains of
#: `Repairer._round` (`rustc` list, then `guessed`), each method's branches in their written order.
DOCUMENTED_ORDER = [
    # rustc = suggestion_fixes[:6] + Unspecified[:2] + _warning_fixes + _mut_variant_fixes + concrete_variants
    "rustc_suggestions", "unspecified_suggestions", "warning_suggestions",
    "iter_mut_variant", "clone_instead_of_borrow", "expect_placeholder",
    # guessed = (_std_type_fixes if not rustc) + _receiver_fixes + _type_placeholder_fixes + _iter_item_fixes
    # + _cast_fixes + _as_ref_fixes + _mutability_fixes (E0308/E0053, E0599, E0794, E0614, E0277, E0502/5/6,
    # E0507)
    "std_type", "receiver_by_reference", "type_placeholder", "iter_by_value", "numeric_cast", "as_ref_before_call",
    "borrow_mutably", "into_iter_for_parameter", "late_bound_lifetime_argument", "no_deref",
    "unwrap_instead_of_question_mark", "copy_instead_of_borrow", "take_value",
    # + (_missing_field_fixes if not rustc) + _missing_init_fixes + _swap_fixes + _mut_method_fixes
    # + _lifetime_placeholder_fixes + _impl_parameter_fixes + _method_synonym_fixes + _collect_fixes
    "add_field_to_struct", "initialize_missing_field", "swap_arguments", "mut_method", "lifetime_placeholder",
    "impl_parameter_to_methods", "method_synonym", "collect_turbofish",
    # + _reborrow_fixes (E0606, E0596, E0308/E0515, E0609) + _signature_fixes + _escape_clone_fixes
    "mutable_for_pointer_cast", "mutable_binding_source", "borrow_through_chain", "convert_type_parameter",
    "trait_return_type", "clone_escaping_borrow",
    # + _definition_fixes (pub, const fn, async fn per span; "because of this"; E0616's field)
    "public_item", "const_function", "async_function", "remove_qualifier", "public_field",
    # + _structural_fixes, its branches in order (E0499/E0501/E0502/E0505/E0506: _reorder_fixes)
    "phantom_data", "remove_unused_parameter", "integer_for_bit_operation", "rename_second_binding",
    "reorder_conflicting_borrows", "builtin_value", "drop_bound_on_type", "rename_other_definition",
    "struct_update_base", "unaligned_reference", "remove_null_characters", "name_reserved_lifetime",
    "bound_lifetime", "label_the_loop_left", "enum_of_variant", "close_string", "receiver_type",
    "remove_repeated_key", "field_bound_twice", "one_union_field", "label_enclosing_loop", "bind_temporary",
]


def test_the_registry_keeps_the_documented_order():
    """Priorities reproduce the order the candidates had: the first that verifies wins. A rule added
    since takes its place by its own priority."""
    names = [r.name for r in REGISTRY]
    assert [n for n in names if n in DOCUMENTED_ORDER] == DOCUMENTED_ORDER
    assert len(set(names)) == len(names) and len({r.priority for r in REGISTRY}) == len(REGISTRY)
    guesses = [r.guess for r in REGISTRY]
    assert guesses == sorted(guesses)  # rustc's own suggestions and the rules trusted like them first
    assert [r.name for r in REGISTRY if r.fallback] == ["std_type", "add_field_to_struct"]


def test_rules_are_found_by_error_code():
    e0599 = [r.name for r in rules_for("E0599")]
    assert e0599.index("into_iter_for_parameter") < e0599.index("method_synonym") < e0599.index("convert_type_parameter")
    assert "rustc_suggestions" in e0599 and "remove_repeated_key" in e0599 and "std_type" not in e0599
    assert "clone_escaping_borrow" in [r.name for r in rules_for(None)]
    assert "clone_escaping_borrow" not in [r.name for r in rules_for("E0599")]


def test_fallbacks_stay_silent_when_rustc_offers_a_fix_and_a_fix_a_guess_proposes_is_a_guess(monkeypatch):
    fix_a, fix_b = (Fix(t, (), MAYBE_INCORRECT) for t in ("a", "b"))

    def make(name, priority, fixes, guess=True, fallback=False):
        return registry.Rule(name, lambda _site: list(fixes), None, priority, guess, False, fallback, "t", ())
    rules = [make("rustc", 1, [fix_a], guess=False), make("fallback", 1000, [fix_b], fallback=True),
             make("guess", 1001, [fix_a])]
    monkeypatch.setattr(registry, "REGISTRY", rules)
    monkeypatch.setattr(registry, "_by_code", {})
    site = Site(Diagnostic("m", "error", "E9999"), {}, None, None)
    found = registry.candidates(site)
    assert [(c.rule, c.guess) for c in found] == [("rustc", True), ("guess", True)]
    rules[0] = make("rustc", 1, [], guess=False)
    monkeypatch.setattr(registry, "_by_code", {})
    assert [(c.rule, c.guess) for c in registry.candidates(site)] == [("fallback", True), ("guess", True)]
