"""Authorizing PE services: VR-02, VR-03, VR-04 (soft, with overrides), VR-06 and VR-09."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.case import CaseStatus
from domain.commands import COMMANDS_WITH_OVERRIDES, AuthorizeService
from domain.errors import InvalidCommand, OverrideRequired, RuleViolation
from domain.values import AuthorizationStatus, Override, ServiceCategory, ServiceType
from tests.builders import ANNIVERSARY, OUTCOME, SUPERVISOR, CaseFile, day

EXCLUDED = [
    ServiceType.EMPLOYMENT_JOB_SEEKING_SKILLS,
    ServiceType.EMPLOYMENT_JOB_PLACEMENT,
    ServiceType.POST_SECONDARY_TRAINING,
    ServiceType.POST_SECONDARY_SUPPORTS,
    ServiceType.SUPPORTED_EMPLOYMENT,
    ServiceType.SMALL_BUSINESS_EXPANSION,
]


@pytest.fixture
def file() -> CaseFile:
    return CaseFile()


@pytest.fixture
def request_id(file: CaseFile) -> UUID:
    return file.open_request(OUTCOME)


def authorization_recorded(
    file: CaseFile, request_id: UUID, on: date | None = None, **kw: Any
) -> Any:
    """Authorizes (on day 5 unless told) and returns the one event that recorded, checking it."""
    on = on or day(5)
    before = len(file.all_events())
    authorization_id = file.authorized(request_id, on, **kw)
    recorded = file.all_events()[before:]
    assert [type(event).__name__ for event in recorded] == ["ServiceAuthorized"]
    event = recorded[0]
    assert (event.authorization_id, event.request_id, event.effective_on) == (
        authorization_id,
        request_id,
        on,
    )
    authorization = file.case.authorizations[authorization_id]
    assert authorization.status is AuthorizationStatus.AUTHORIZED
    assert authorization.encumbered_cents == event.amount_cents == file.case.encumbered_cents
    assert file.case.status is CaseStatus.IN_PE_SERVICES
    return event


def test_an_authorization_within_every_limit_encumbers_its_amount_VR_09(
    file: CaseFile, request_id: UUID
) -> None:
    authorization_id = file.authorized(request_id, day(5), amount_cents=42_000)
    authorization = file.case.authorizations[authorization_id]
    assert authorization.encumbered_cents == 42_000
    assert authorization.overrides == ()
    assert not authorization.grandfathered
    assert file.case.encumbered_cents == 42_000


def test_an_authorization_without_a_pe_determination_is_refused_VR_09(file: CaseFile) -> None:
    command = file.request(day(1))
    file.do(command)
    with pytest.raises(RuleViolation, match="VR-09"):
        file.do(file.authorize(command.request_id, day(2)))


def test_an_authorization_for_a_request_found_not_appropriate_is_refused_VR_09(
    file: CaseFile,
) -> None:
    command = file.request(day(1))
    file.do(command)
    file.do(file.not_appropriate(command.request_id, day(2)))
    with pytest.raises(RuleViolation, match="VR-09"):
        file.do(file.authorize(command.request_id, day(3)))


def test_an_authorization_dated_before_its_determination_is_refused_VR_09(file: CaseFile) -> None:
    command = file.request(day(1))
    file.do(command)
    file.do(file.appropriate(command.request_id, day(5)))
    with pytest.raises(RuleViolation, match="VR-09"):
        file.do(file.authorize(command.request_id, day(4), start=day(6)))


def test_an_authorization_without_an_ipe_entry_is_refused_VR_09(
    file: CaseFile, request_id: UUID
) -> None:
    with pytest.raises(RuleViolation, match="VR-09"):
        file.do(file.authorize(request_id, day(5), ipe_entry=" "))


def test_an_authorization_starting_on_the_anniversary_is_accepted_VR_02(
    file: CaseFile, request_id: UUID
) -> None:
    event = authorization_recorded(file, request_id, start=ANNIVERSARY, end=ANNIVERSARY)
    assert (event.planned_start, event.planned_end, event.overrides) == (
        ANNIVERSARY,
        ANNIVERSARY,
        (),
    )


def test_an_authorization_starting_after_the_window_is_refused_VR_02(
    file: CaseFile, request_id: UUID
) -> None:
    start = ANNIVERSARY + timedelta(days=1)
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.authorize(request_id, day(5), start=start, end=start))
    assert refusal.value.rule_id == "VR-02"


def test_an_authorization_starting_before_the_outcome_is_refused_VR_02(
    file: CaseFile, request_id: UUID
) -> None:
    with pytest.raises(RuleViolation, match="VR-02"):
        file.do(file.authorize(request_id, OUTCOME, start=OUTCOME - timedelta(days=1)))
    event = authorization_recorded(file, request_id, on=OUTCOME, start=OUTCOME)
    assert event.planned_start == OUTCOME


def test_a_hard_rule_cannot_be_overridden_VR_02(file: CaseFile, request_id: UUID) -> None:
    start = ANNIVERSARY + timedelta(days=1)
    with pytest.raises(InvalidCommand) as refusal:
        file.do(
            file.authorize(
                request_id,
                day(5),
                start=start,
                end=start,
                overrides=(Override(rule_id="VR-02", reason="client asked"),),
            ),
            SUPERVISOR,
        )
    assert refusal.value.rule_id == "VR-02"


def test_a_planned_end_on_the_anniversary_needs_no_override_VR_03(
    file: CaseFile, request_id: UUID
) -> None:
    start = ANNIVERSARY - timedelta(days=30)
    event = authorization_recorded(file, request_id, start=start, end=ANNIVERSARY)
    assert (event.planned_start, event.planned_end, event.overrides) == (start, ANNIVERSARY, ())
    assert file.case.authorizations[event.authorization_id].overrides == ()


def test_a_planned_end_after_the_anniversary_requires_an_override_VR_03(
    file: CaseFile, request_id: UUID
) -> None:
    start = ANNIVERSARY - timedelta(days=30)
    with pytest.raises(OverrideRequired) as refusal:
        file.do(
            file.authorize(request_id, day(5), start=start, end=ANNIVERSARY + timedelta(days=1))
        )
    assert refusal.value.rule_id == "VR-03"


def test_an_accepted_override_is_recorded_with_its_reason_rule_and_actor_VR_03(
    file: CaseFile, request_id: UUID
) -> None:
    start = ANNIVERSARY - timedelta(days=30)
    override = Override(rule_id="VR-03", reason="provider's only course starts late")
    authorization_id = file.authorized(
        request_id,
        day(5),
        start=start,
        end=ANNIVERSARY + timedelta(days=20),
        overrides=(override,),
    )
    assert file.case.authorizations[authorization_id].overrides == (override,)
    recorded = file.all_events()[-1]
    assert recorded.overrides == (override,)  # type: ignore[attr-defined]
    assert recorded.actor.id == "cw-1"


def test_a_three_month_service_needs_no_override_VR_04(file: CaseFile, request_id: UUID) -> None:
    event = authorization_recorded(file, request_id, start=date(2024, 3, 31), end=date(2024, 6, 30))
    assert (event.planned_start, event.planned_end, event.overrides) == (
        date(2024, 3, 31),
        date(2024, 6, 30),
        (),
    )
    assert file.case.authorizations[event.authorization_id].overrides == ()


def test_a_service_one_day_longer_than_three_months_requires_an_override_VR_04(
    file: CaseFile, request_id: UUID
) -> None:
    with pytest.raises(OverrideRequired) as refusal:
        file.do(file.authorize(request_id, day(5), start=date(2024, 3, 31), end=date(2024, 7, 1)))
    assert refusal.value.rule_id == "VR-04"
    assert "override" in str(refusal.value)


def test_the_three_months_clamp_at_month_ends_VR_04(file: CaseFile, request_id: UUID) -> None:
    # 2024-08-31 + 3 months = 2024-11-30: the last day that needs no override.
    event = authorization_recorded(
        file, request_id, start=date(2024, 8, 31), end=date(2024, 11, 30)
    )
    assert (event.planned_end, event.overrides) == (date(2024, 11, 30), ())
    with pytest.raises(OverrideRequired, match="VR-04"):
        file.do(file.authorize(request_id, day(5), start=date(2024, 8, 31), end=date(2024, 12, 1)))


def test_a_supervisor_override_accepts_a_longer_service_VR_04(
    file: CaseFile, request_id: UUID
) -> None:
    override = Override(rule_id="VR-04", reason="the certificate course lasts four months")
    command = file.authorize(
        request_id, day(5), start=day(10), end=day(10 + 120), overrides=(override,)
    )
    file.do(command, SUPERVISOR)
    assert file.all_events()[-1].actor == SUPERVISOR


def test_a_service_breaching_both_soft_rules_needs_both_overrides_VR_03_VR_04(
    file: CaseFile, request_id: UUID
) -> None:
    start = ANNIVERSARY - timedelta(days=10)
    end = ANNIVERSARY + timedelta(days=100)
    vr03 = Override(rule_id="VR-03", reason="late start")
    vr04 = Override(rule_id="VR-04", reason="long course")
    with pytest.raises(OverrideRequired) as refusal:
        file.do(file.authorize(request_id, day(5), start=start, end=end, overrides=(vr03,)))
    assert refusal.value.rule_id == "VR-04"
    event = authorization_recorded(file, request_id, start=start, end=end, overrides=(vr03, vr04))
    assert [override.rule_id for override in event.overrides] == ["VR-03", "VR-04"]
    assert file.case.authorizations[event.authorization_id].overrides == (vr03, vr04)


def test_an_override_of_a_rule_not_breached_is_refused(file: CaseFile, request_id: UUID) -> None:
    with pytest.raises(InvalidCommand) as refusal:
        file.do(
            file.authorize(
                request_id, day(5), overrides=(Override(rule_id="VR-04", reason="just in case"),)
            )
        )
    assert refusal.value.rule_id == "VR-04"


def test_an_override_without_a_real_reason_is_refused(file: CaseFile, request_id: UUID) -> None:
    with pytest.raises(InvalidCommand, match="reason"):
        file.do(
            file.authorize(
                request_id,
                day(5),
                start=day(10),
                end=day(200),
                overrides=(Override(rule_id="VR-04", reason="  "),),
            )
        )


@pytest.mark.parametrize("service_type", EXCLUDED)
def test_a_service_type_excluded_from_pe_is_refused_VR_06(
    file: CaseFile, request_id: UUID, service_type: ServiceType
) -> None:
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.authorize(request_id, day(5), service_type=service_type))
    assert refusal.value.rule_id == "VR-06"


def test_employment_job_retention_is_available_in_pe_VR_06(
    file: CaseFile, request_id: UUID
) -> None:
    event = authorization_recorded(
        file,
        request_id,
        service_type=ServiceType.EMPLOYMENT_JOB_RETENTION,
        category=ServiceCategory.TEAM,
        amount_cents=65_000,
    )
    assert (event.service_type, event.category, event.amount_cents) == (
        ServiceType.EMPLOYMENT_JOB_RETENTION,
        ServiceCategory.TEAM,
        65_000,
    )
    authorization = file.case.authorizations[event.authorization_id]
    assert authorization.service_type is ServiceType.EMPLOYMENT_JOB_RETENTION
    assert file.case.encumbered_cents == 65_000


def test_a_retried_authorization_records_nothing_more(file: CaseFile, request_id: UUID) -> None:
    command = file.authorize(request_id, day(5))
    file.do(command)
    version = file.case.version
    file.do(command)
    assert file.case.version == version
    with pytest.raises(InvalidCommand):
        file.do(command.model_copy(update={"amount_cents": 1}))


def test_a_planned_end_before_the_start_is_refused(file: CaseFile, request_id: UUID) -> None:
    with pytest.raises(InvalidCommand):
        file.do(file.authorize(request_id, day(5), start=day(10), end=day(9)))


def test_only_authorizations_carry_overrides() -> None:
    assert (AuthorizeService,) == COMMANDS_WITH_OVERRIDES
