from datetime import date

from adapters.schema_generation import domain_event_classes
from domain.audit import RULES_BY_EVENT, audit_entry, events_as_of, rebuild
from domain.values import Override
from tests.unit.domain.support import SUPERVISOR, CaseFile


def test_every_event_type_names_the_rules_it_is_checked_against() -> None:
    assert set(RULES_BY_EVENT) == {cls.__name__ for cls in domain_event_classes()}
    assert all(rule.startswith("VR-") for rules in RULES_BY_EVENT.values() for rule in rules)


def test_an_entry_carries_the_override_and_its_reason_and_a_grandfathered_authorization_VR_12() -> (
    None
):
    file = CaseFile()
    request = file.open_request(date(2024, 3, 4))
    file.authorized(
        request,
        date(2024, 3, 4),
        end=date(2024, 7, 30),
        overrides=(Override(rule_id="VR-04", reason="licensing takes four months"),),
    )
    entry = audit_entry(file.all_events()[-1])

    assert entry.overrides == (("VR-04", "licensing takes four months"),)
    assert entry.policy_version == "2018-10-02"
    assert "VR-12" not in entry.rule_ids
    assert entry.facts["planned_end"] == "2024-07-30"


def test_as_of_a_date_counts_the_events_effective_that_day() -> None:
    file = CaseFile()
    file.do(file.correct_outcome(date(2024, 3, 15), on=date(2024, 4, 2)), SUPERVISOR)
    events = file.all_events()

    assert len(events_as_of(events, date(2024, 4, 1))) == 2
    assert len(events_as_of(events, date(2024, 4, 2))) == 3


def test_a_backdated_fact_counts_from_where_it_was_recorded() -> None:
    file = CaseFile()
    request = file.open_request(date(2024, 4, 1))
    authorization = file.authorized(request, date(2024, 4, 1))
    file.do(file.provided(authorization, date(2024, 4, 20)))
    file.do(file.request(date(2024, 3, 15)))  # entered late, dated earlier
    events = file.all_events()

    # 2024-04-10: the record holds everything up to the provision (2024-04-20), not the
    # backdated request recorded after it.
    assert [e.originator_version for e in events_as_of(events, date(2024, 4, 10))] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert len(events_as_of(events, date(2024, 4, 20))) == len(events)
    assert rebuild(events_as_of(events, date(2024, 3, 20))) is not None
