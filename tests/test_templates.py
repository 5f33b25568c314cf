"""Template syntax: alternatives, optional words, rule references, and strict errors."""

from __future__ import annotations

import pytest

from voice_triage.nlu.templates import MAX_EXPANSIONS, Expander, TemplateError


def expand(template: str, **rules: str) -> set[str]:
    return set(Expander(rules).expand(template))


def test_alternatives_and_optional_words() -> None:
    assert expand("(can't|cannot) [properly] (pee|wee)") == {
        "can't pee", "can't wee", "cannot pee", "cannot wee",
        "can't properly pee", "can't properly wee", "cannot properly pee", "cannot properly wee",
    }


def test_nested_groups_and_rules() -> None:
    phrases = expand("numb <site>", site="(bum|back passage|[inner] thighs)")
    assert phrases == {"numb bum", "numb back passage", "numb inner thighs", "numb thighs"}


def test_case_is_folded() -> None:
    assert expand("Yes [PLEASE]") == {"yes", "yes please"}


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("(a||b)", "empty alternative"),
        ("(a|)", "empty alternative"),
        ("[]", "empty alternative"),
        ("(a|b", "unbalanced '('"),
        ("a|b", "'|' outside brackets"),
        ("a)", "unbalanced ')'"),
        ("[a)", "closed by"),
        ("<site", "unbalanced '<'"),
        ("<nope>", "unknown rule <nope>"),
        ("a ! b", "unexpected character"),
        ("", "empty template"),
    ],
)
def test_malformed_templates_fail_with_a_column(template: str, fragment: str) -> None:
    with pytest.raises(TemplateError) as info:
        Expander({}).expand(template)
    assert fragment in str(info.value)


def test_recursive_rule_is_an_error() -> None:
    with pytest.raises(TemplateError, match="refers to itself"):
        Expander({"a": "x <a>"}).expand("<a>")


def test_expansion_is_capped() -> None:
    ten = "(" + "|".join(f"w{i}" for i in range(10)) + ")"
    with pytest.raises(TemplateError, match=str(MAX_EXPANSIONS)):
        Expander({}).expand(" ".join([ten] * 5))
