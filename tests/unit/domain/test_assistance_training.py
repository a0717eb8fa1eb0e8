"""Education and training referrals: while receiving cash assistance and for 12 months after it
ends, inclusive, months clamped to their end (TA-09)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.assistance.policy import TAPolicy
from domain.assistance.training import training_referral_window_closes
from domain.errors import InvalidCommand, RuleViolation
from tests.builders import OPENED, POLICIES, TA_POLICY, AssistanceFile


def ended(on: date, opened_on: date = OPENED) -> AssistanceFile:
    file = AssistanceFile(opened_on=opened_on)
    file.do(file.end_assistance(on))
    return file


def referred(file: AssistanceFile, on: date) -> date | None:
    """Refers on `on`, checks the referral was recorded, and returns the window's last day."""
    command = file.training(on)
    file.do(command)
    event = file.last_event()
    assert type(event).__name__ == "TrainingReferralMade"
    assert (event.referral_id, event.effective_on) == (command.referral_id, on)  # type: ignore[attr-defined]
    assert file.case.assistance.training_referrals[command.referral_id].referred_on == on
    closes_on: date | None = event.window_closes_on  # type: ignore[attr-defined]
    return closes_on


def test_referrals_are_allowed_while_cash_assistance_continues_TA_09() -> None:
    file = AssistanceFile()
    file.do(file.training(date(2030, 1, 1)))
    assert file.last_event().window_closes_on is None  # type: ignore[attr-defined]


def test_a_referral_on_the_last_day_of_the_window_is_accepted_TA_09() -> None:
    file = ended(date(2024, 3, 15))
    file.do(file.training(date(2025, 3, 15)))
    assert file.last_event().window_closes_on == date(2025, 3, 15)  # type: ignore[attr-defined]


def test_a_referral_the_day_after_the_window_is_refused_TA_09() -> None:
    file = ended(date(2024, 3, 15))
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.training(date(2025, 3, 16)))
    assert refusal.value.rule_id == "TA-09"
    assert "2025-03-15" in str(refusal.value)


def test_the_window_of_a_leap_day_end_closes_on_the_last_day_of_february_TA_09() -> None:
    # 2024-02-29 + 12 months has no 29th: the day clamps to 2025-02-28.
    file = ended(date(2024, 2, 29))
    assert referred(file, date(2025, 2, 28)) == date(2025, 2, 28)
    with pytest.raises(RuleViolation, match="TA-09"):
        file.do(file.training(date(2025, 3, 1)))


def test_the_window_of_a_month_end_closes_on_the_same_day_next_year_TA_09() -> None:
    # 2024-01-31 + 12 months = 2025-01-31, no clamping needed.
    file = ended(date(2024, 1, 31))
    assert referred(file, date(2025, 1, 31)) == date(2025, 1, 31)
    with pytest.raises(RuleViolation, match="TA-09"):
        file.do(file.training(date(2025, 2, 1)))


def test_a_shorter_window_clamps_to_the_shorter_month_TA_09() -> None:
    # Policy data: with a 1-month window, 2024-01-31 + 1 month = 2024-02-29 (leap year).
    short = TAPolicy(version="TA-1m", effective_from=date(2000, 1, 1), training_referral_months=1)
    file = AssistanceFile(policies=POLICIES.model_copy(update={"ta": (short,)}))
    file.do(file.end_assistance(date(2024, 1, 31)))
    assert referred(file, date(2024, 2, 29)) == date(2024, 2, 29)
    with pytest.raises(RuleViolation, match="TA-09"):
        file.do(file.training(date(2024, 3, 1)))


def test_cash_assistance_may_have_ended_before_the_case_was_opened_TA_09() -> None:
    file = ended(date(2023, 11, 30), opened_on=date(2024, 1, 31))
    assert training_referral_window_closes(file.case, POLICIES) == date(2024, 11, 30)
    assert referred(file, date(2024, 11, 30)) == date(2024, 11, 30)
    with pytest.raises(RuleViolation, match="TA-09"):
        file.do(file.training(date(2024, 12, 1)))


def test_a_referral_dated_before_the_end_is_accepted_when_recorded_after_it_TA_09() -> None:
    file = ended(date(2024, 3, 15))
    referral = file.training(date(2024, 3, 1))
    file.do(referral)
    event = file.last_event()
    assert type(event).__name__ == "TrainingReferralMade"
    assert (event.referral_id, event.effective_on, event.window_closes_on) == (  # type: ignore[attr-defined]
        referral.referral_id,
        date(2024, 3, 1),
        date(2025, 3, 15),
    )
    assert file.case.assistance.training_referrals[referral.referral_id].referred_on == date(
        2024, 3, 1
    )


def test_an_end_that_would_put_a_recorded_referral_outside_the_window_is_refused_TA_09() -> None:
    file = AssistanceFile()
    file.do(file.training(date(2025, 6, 1)))
    with pytest.raises(RuleViolation, match="TA-09"):
        file.do(file.end_assistance(date(2024, 5, 31)))  # window closes 2025-05-31
    file.do(file.end_assistance(date(2024, 6, 1)))
    recorded = file.last_event()
    assert type(recorded).__name__ == "CashAssistanceEnded"
    assert recorded.training_window_closes_on == date(2025, 6, 1)  # type: ignore[attr-defined]


def test_cash_assistance_ends_once_a_retry_records_nothing_TA_09() -> None:
    file = ended(date(2024, 3, 15))
    events = len(file.all_events())
    file.do(file.end_assistance(date(2024, 3, 15)))
    assert len(file.all_events()) == events
    with pytest.raises(InvalidCommand) as refusal:
        file.do(file.end_assistance(date(2024, 4, 1)))
    assert refusal.value.rule_id == "TA-09"


def test_the_end_records_when_the_window_closes_TA_09() -> None:
    file = ended(date(2024, 8, 31))
    event = file.last_event()
    assert event.training_window_closes_on == date(2025, 8, 31)  # type: ignore[attr-defined]
    assert TA_POLICY.training_referral_window_closes(date(2024, 8, 31)) == date(2025, 8, 31)


def test_a_training_referral_cannot_precede_the_case_opening() -> None:
    file = AssistanceFile()
    with pytest.raises(InvalidCommand):
        file.do(file.training(OPENED - timedelta(days=1)))


@pytest.mark.parametrize(
    ("referred_on", "ended_on", "allowed"),
    [
        (date(2030, 1, 1), None, True),  # cash assistance continues: no window yet
        (date(2024, 3, 15), date(2024, 3, 15), True),  # the day it ended
        (date(2023, 1, 1), date(2024, 3, 15), True),  # before it ended
        (date(2025, 3, 15), date(2024, 3, 15), True),  # the window's last day
        (date(2025, 3, 16), date(2024, 3, 15), False),  # the day after
        (date(2025, 2, 28), date(2024, 2, 29), True),  # a leap-day end clamps to February's end
        (date(2025, 3, 1), date(2024, 2, 29), False),
    ],
)
def test_the_training_window_allows_referrals_up_to_its_last_day_inclusive_TA_09(
    referred_on: date, ended_on: date | None, allowed: bool
) -> None:
    assert TA_POLICY.allows_training_referral_on(referred_on, ended_on) is allowed


def test_the_decisions_and_the_case_state_read_one_training_window_TA_09() -> None:
    file = ended(date(2024, 2, 29))
    closes = training_referral_window_closes(file.case, POLICIES)
    assert closes == TA_POLICY.training_referral_window_closes(date(2024, 2, 29))
    assert TA_POLICY.allows_training_referral_on(closes, date(2024, 2, 29))
    assert not TA_POLICY.allows_training_referral_on(closes + timedelta(days=1), date(2024, 2, 29))
