"""The rules core implements clinical-spec.md rules 1 to 5."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_triage.clinical.catalogue import Level, Locale, Tier, load_rulebook
from voice_triage.clinical.rules import decide
from voice_triage.errors import UnknownIdError

BOOK = load_rulebook()
IDS = sorted(BOOK.findings)
TIER_LEVEL = {Tier.LIFE_THREAT: Level.EMERGENCY, Tier.EMERGENCY: Level.EMERGENCY, Tier.URGENT: Level.URGENT,
              Tier.RISK: Level.URGENT,
              Tier.SOON: Level.SOON, Tier.CONTEXT: Level.SELF_CARE}


def of_tier(tier: Tier) -> list[str]:
    return [fid for fid in IDS if BOOK.findings[fid].tier is tier]


@pytest.mark.parametrize("finding_id", IDS)
def test_each_finding_alone_gives_its_level(finding_id: str) -> None:
    decision = decide(BOOK, [finding_id])
    assert decision.level is TIER_LEVEL[BOOK.findings[finding_id].tier]
    listed = {fid for reason in decision.reasons for fid in reason.findings}
    if BOOK.findings[finding_id].tier is not Tier.CONTEXT:
        assert finding_id in listed


def test_cauda_equina_findings_are_emergencies() -> None:
    for fid in ("saddle_numbness", "wiping_numbness", "urinary_retention", "urinary_incontinence",
                "bladder_sensation_loss", "bowel_incontinence", "bowel_sensation_loss", "sexual_dysfunction"):
        assert decide(BOOK, [fid]).level is Level.EMERGENCY


@pytest.mark.parametrize(("risk", "symptom"), list(itertools.product(of_tier(Tier.RISK), of_tier(Tier.URGENT))))
def test_risk_factor_with_urgent_symptom_is_emergency(risk: str, symptom: str) -> None:
    decision = decide(BOOK, [risk, symptom])
    assert decision.level is Level.EMERGENCY
    top = decision.reasons[0]
    assert top.rule == "risk_with_urgent_symptom"
    assert set(top.findings) == {risk, symptom}


def test_two_risk_factors_without_a_symptom_stay_urgent() -> None:
    assert decide(BOOK, ["cancer_history", "osteoporosis"]).level is Level.URGENT


@pytest.mark.parametrize("finding_id", of_tier(Tier.EMERGENCY))
@pytest.mark.parametrize("locale", list(Locale))
def test_unsure_emergency_finding_is_at_least_urgent_and_named(finding_id: str, locale: Locale) -> None:
    decision = decide(BOOK, [], unsure=[finding_id], locale=locale)
    assert decision.level is Level.URGENT
    assert decision.reasons[0].rule == "unsure_emergency_finding"
    assert BOOK.findings[finding_id].plain in decision.advice


def test_unsure_does_not_lower_a_present_emergency() -> None:
    decision = decide(BOOK, ["saddle_numbness"], unsure=["saddle_numbness", "urinary_retention"])
    assert decision.level is Level.EMERGENCY
    assert decision.unsure == ("urinary_retention",)


@pytest.mark.parametrize("finding_id", [*of_tier(Tier.URGENT), *of_tier(Tier.RISK)])
def test_unsure_urgent_symptom_or_risk_factor_is_at_least_soon_and_named(finding_id: str) -> None:
    decision = decide(BOOK, [], unsure=[finding_id])  # spec rule 4
    assert decision.level is Level.SOON
    assert BOOK.findings[finding_id].plain in decision.advice


def test_unsure_soon_finding_does_not_raise_the_level() -> None:
    assert decide(BOOK, [], unsure=["sciatica"]).level is Level.SELF_CARE


@pytest.mark.parametrize("locale", list(Locale))
def test_doubt_about_an_emergency_symptom_says_act_now_not_an_appointment(locale: Locale) -> None:
    advice = decide(BOOK, [], unsure=["urinary_retention"], locale=locale).advice  # spec rule 3
    assert ("call 111 now" if locale is Locale.UK else "call your doctor now") in advice.lower()
    assert "appointment" not in advice


def test_many_doubts_are_summarised_briefly() -> None:
    doubts = of_tier(Tier.EMERGENCY)[:5]
    decision = decide(BOOK, [], unsure=doubts)
    assert "5 warning signs" in decision.advice and len(decision.advice.split()) <= 45


@pytest.mark.parametrize("finding_id", of_tier(Tier.LIFE_THREAT))
@pytest.mark.parametrize("locale", list(Locale))
def test_a_life_threat_says_call_999_or_911_now(finding_id: str, locale: Locale) -> None:
    decision = decide(BOOK, [finding_id, "sciatica"], locale=locale)  # spec rules 7 and 8
    assert decision.level is Level.EMERGENCY and decision.reasons[0].rule == "life_threat"
    assert ("Call 999 now" if locale is Locale.UK else "Call 911 now") in decision.advice
    assert set(decision.reasons[0].sources) & set(BOOK.guidance)


def test_no_warning_signs_only_when_every_one_was_denied() -> None:
    warning = [f for f in IDS if BOOK.findings[f].tier in (Tier.EMERGENCY, Tier.URGENT)]
    assert decide(BOOK, []).why == ""  # nothing known: say nothing (spec rule 10)
    assert decide(BOOK, [], absent=warning[1:]).why == ""
    assert "did not tell me about any warning signs" in decide(BOOK, [], absent=warning).why


def test_nothing_is_self_care_with_a_cited_default() -> None:
    decision = decide(BOOK, [])
    assert decision.level is Level.SELF_CARE
    assert decision.reasons[0].rule == "no_red_flags"
    assert decision.reasons[0].sources


def test_every_reason_cites_its_sources() -> None:
    decision = decide(BOOK, IDS)
    for reason in decision.reasons:
        assert reason.sources
        assert all(name.endswith(".txt") or name in BOOK.guidance for name in reason.sources)
    listed = {fid for reason in decision.reasons for fid in reason.findings}
    assert listed == {fid for fid in IDS if BOOK.findings[fid].tier is not Tier.CONTEXT}


def test_unknown_id_is_rejected_by_name() -> None:
    with pytest.raises(UnknownIdError, match="numbness_saddle"):
        decide(BOOK, ["numbness_saddle"])


SERVICES = {
    (Locale.UK, Level.EMERGENCY): ["A&E", "999"],
    (Locale.UK, Level.URGENT): ["GP", "111"],
    (Locale.UK, Level.SOON): ["GP", "physiotherapist"],
    (Locale.UK, Level.SELF_CARE): ["6 to 8 weeks", "active"],
    (Locale.US, Level.EMERGENCY): ["emergency room", "911"],
    (Locale.US, Level.URGENT): ["primary care", "ER"],
    (Locale.US, Level.SOON): ["primary care", "physical therapist"],
    (Locale.US, Level.SELF_CARE): ["6 to 8 weeks", "active"],
}
EXAMPLE = {Level.EMERGENCY: ["leg_weakness"], Level.URGENT: ["fever"], Level.SOON: ["sciatica"],
           Level.SELF_CARE: []}


@pytest.mark.parametrize(("locale", "level"), sorted(SERVICES, key=str))
def test_advice_names_the_right_service_and_ends_with_the_safety_net(locale: Locale, level: Level) -> None:
    decision = decide(BOOK, EXAMPLE[level], locale=locale)
    assert decision.level is level
    for word in SERVICES[(locale, level)]:
        assert word in decision.advice
    other = Locale.US if locale is Locale.UK else Locale.UK
    foreign = ["999", "A&E", "111", "GP"] if other is Locale.UK else ["911", "emergency room", "ER"]
    assert not any(word in decision.spoken().split() for word in foreign if " " not in word)
    assert decision.spoken().endswith(decision.safety_net)
    if level is Level.EMERGENCY:
        # Never "call 111 if it gets worse" after "go to A&E now" (spec, Advice wording).
        assert "111" not in decision.safety_net and "your doctor" not in decision.safety_net
        assert ("999" if locale is Locale.UK else "911") in decision.safety_net
        return
    net_service = "111" if locale is Locale.UK else "your doctor"
    assert net_service in decision.safety_net
    assert ("A&E" if locale is Locale.UK else "ER") in decision.safety_net


ids = st.sets(st.sampled_from(IDS), max_size=12)


@settings(max_examples=300, deadline=None)
@given(base=ids, extra=st.sampled_from(IDS), unsure=ids)
def test_adding_a_present_finding_never_lowers_the_level(base: set[str], extra: str, unsure: set[str]) -> None:
    before = decide(BOOK, sorted(base), sorted(unsure))
    after = decide(BOOK, sorted(base | {extra}), sorted(unsure))
    assert after.level.rank >= before.level.rank


@settings(max_examples=200, deadline=None)
@given(present=ids, unsure=ids, locale=st.sampled_from(list(Locale)))
def test_any_subset_decides_deterministically(present: set[str], unsure: set[str], locale: Locale) -> None:
    first = decide(BOOK, sorted(present), sorted(unsure), locale)
    second = decide(BOOK, sorted(present), sorted(unsure), locale)
    assert first == second
    assert first.level in Level
    expected = max((TIER_LEVEL[BOOK.findings[f].tier] for f in present), key=lambda lv: lv.rank,
                   default=Level.SELF_CARE)
    assert first.level.rank >= expected.rank
    assert first.spoken().endswith(first.safety_net)
