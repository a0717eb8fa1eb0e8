"""Properties over random command sequences: money invariants, the window, replay (VR-02, VR-10)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

from domain.base import Actor
from domain.case import Case
from domain.commands import CaseCommand
from domain.errors import DomainError
from domain.termination import DEADLINE_PROCESS, termination_date
from domain.values import (
    NewCaseReason,
    Override,
    RequestPurpose,
    ReviewDecision,
    ServiceType,
)
from tests.builders import BILLING, CASEWORKER, POLICY, SUPERVISOR, CaseFile, rebuilt

SERVICE_TYPES = st.sampled_from(
    [
        ServiceType.TRANSPORTATION,
        ServiceType.EMPLOYMENT_JOB_RETENTION,
        ServiceType.TOOLS_AND_EQUIPMENT,
        ServiceType.SUPPORTED_EMPLOYMENT,
        ServiceType.POST_SECONDARY_TRAINING,
    ]
)
AMOUNTS = st.integers(min_value=1, max_value=80_000)
JITTER = st.integers(min_value=0, max_value=15) | st.integers(min_value=-20, max_value=120)
OVERRIDES = st.just(()) | st.lists(
    st.builds(
        Override,
        rule_id=st.sampled_from(["VR-02", "VR-03", "VR-04"]),
        reason=st.just("supervisor approved"),
    ),
    max_size=2,
    unique_by=lambda o: o.rule_id,
).map(tuple)


class CaseHistory(RuleBasedStateMachine):
    """Random commands on one case; refused ones record nothing, accepted ones keep the invariants."""

    requests = Bundle("requests")
    authorizations = Bundle("authorizations")
    invoices = Bundle("invoices")

    @initialize(grandfathered=st.booleans())
    def open_case(self, grandfathered: bool) -> None:
        if grandfathered:
            self.file = CaseFile(outcome=date(2013, 6, 14), opened_on=date(2012, 11, 5))
            self.file.do(self.file.grandfather(date(2013, 6, 20)))
        else:
            self.file = CaseFile()
        assert self.file.case.outcome_date is not None
        self.clock = self.file.case.outcome_date
        self.accepted = 0

    def on(self, jitter: int) -> date:
        return self.clock + timedelta(days=jitter)

    def attempt(self, command: CaseCommand, actor: Actor = CASEWORKER) -> bool:
        version = self.file.case.version
        pending = len(self.file.case.pending_events)
        try:
            self.file.do(command, actor)
        except DomainError as refusal:
            event(f"refused {type(command).__name__} {refusal.rule_id}")
            assert self.file.case.version == version
            assert len(self.file.case.pending_events) == pending
            return False
        self.accepted += 1
        event(f"accepted {type(command).__name__}")
        return True

    @rule(days=st.integers(min_value=0, max_value=60))
    def time_passes(self, days: int) -> None:
        self.clock += timedelta(days=days)

    @rule(target=requests, jitter=JITTER, purpose=st.sampled_from(list(RequestPurpose)))
    def request(self, jitter: int, purpose: RequestPurpose) -> UUID:
        command = self.file.request(self.on(jitter), purpose)
        self.attempt(command)
        return command.request_id

    @rule(target=requests)
    def request_found_appropriate(self) -> UUID:
        command = self.file.request(self.clock)
        if self.attempt(command):
            self.attempt(self.file.appropriate(command.request_id, self.clock))
        return command.request_id

    @rule(request_id=requests, jitter=JITTER, scope_days=st.integers(0, 120))
    def determine_appropriate(self, request_id: UUID, jitter: int, scope_days: int) -> None:
        on = self.on(jitter)
        self.attempt(
            self.file.appropriate(
                request_id, on, expected_provided_by=on + timedelta(days=scope_days)
            )
        )

    @rule(request_id=requests, jitter=JITTER, kind=st.sampled_from(["new", "neither"]))
    def determine_otherwise(self, request_id: UUID, jitter: int, kind: str) -> None:
        on = self.on(jitter)
        if kind == "new":
            command: CaseCommand = self.file.new_case(
                request_id, on, reasons=(NewCaseReason.JOB_SEARCH,)
            )
        else:
            command = self.file.not_appropriate(request_id, on)
        self.attempt(command)

    @rule(
        request_id=requests,
        jitter=JITTER,
        decision=st.sampled_from(list(ReviewDecision)),
    )
    def review(self, request_id: UUID, jitter: int, decision: ReviewDecision) -> None:
        self.attempt(self.file.review(request_id, self.on(jitter)))
        self.attempt(self.file.decide(request_id, self.on(jitter + 5), decision))

    @rule(
        target=authorizations,
        request_id=requests,
        jitter=JITTER,
        start_shift=st.integers(0, 20) | st.integers(-30, 400),
        length=st.integers(0, 80) | st.integers(0, 200),
        amount=st.integers(0, 90_000),
        service_type=SERVICE_TYPES,
        overrides=OVERRIDES,
    )
    def authorize(
        self,
        request_id: UUID,
        jitter: int,
        start_shift: int,
        length: int,
        amount: int,
        service_type: ServiceType,
        overrides: tuple[Override, ...],
    ) -> UUID:
        on = self.on(jitter)
        start = on + timedelta(days=start_shift)
        command = self.file.authorize(
            request_id,
            on,
            start=start,
            end=start + timedelta(days=length),
            amount_cents=amount,
            service_type=service_type,
            overrides=overrides,
        )
        self.attempt(command, SUPERVISOR if overrides else CASEWORKER)
        return command.authorization_id

    @rule(
        target=authorizations,
        request_id=requests,
        start_shift=st.integers(0, 20),
        length=st.integers(0, 92),
        amount=st.integers(0, 90_000),
    )
    def authorize_plainly(
        self, request_id: UUID, start_shift: int, length: int, amount: int
    ) -> UUID:
        start = self.clock + timedelta(days=start_shift)
        command = self.file.authorize(
            request_id,
            self.clock,
            start=start,
            end=start + timedelta(days=length),
            amount_cents=amount,
        )
        self.attempt(command)
        return command.authorization_id

    @rule(
        authorization_id=authorizations,
        invoiced=st.lists(AMOUNTS, min_size=1, max_size=3),
        shortfall=st.integers(-500, 20_000),
        days=st.integers(0, 45),
    )
    def settle(
        self, authorization_id: UUID, invoiced: list[int], shortfall: int, days: int
    ) -> None:
        """Provide, invoice, pay (sometimes less, sometimes too much) and unencumber."""
        self.attempt(self.file.provided(authorization_id, self.clock))
        for amount in invoiced:
            invoice = self.file.invoice(authorization_id, self.clock, amount)
            if self.attempt(invoice, BILLING):
                paid = max(1, amount - shortfall)
                self.attempt(
                    self.file.pay(invoice.invoice_id, self.clock + timedelta(days=days), paid),
                    BILLING,
                )
        self.attempt(
            self.file.unencumber(authorization_id, self.clock + timedelta(days=days)), BILLING
        )

    @rule(authorization_id=authorizations, jitter=JITTER, cancel=st.booleans())
    def end_service(self, authorization_id: UUID, jitter: int, cancel: bool) -> None:
        on = self.on(jitter)
        if cancel:
            self.attempt(self.file.cancel(authorization_id, on))
        else:
            self.attempt(self.file.provided(authorization_id, on))

    @rule(target=invoices, authorization_id=authorizations, jitter=JITTER, amount=AMOUNTS)
    def invoice(self, authorization_id: UUID, jitter: int, amount: int) -> UUID:
        command = self.file.invoice(authorization_id, self.on(jitter), amount)
        self.attempt(command, BILLING)
        return command.invoice_id

    @rule(invoice_id=consumes(invoices), jitter=JITTER, amount=AMOUNTS)
    def pay(self, invoice_id: UUID, jitter: int, amount: int) -> None:
        self.attempt(self.file.pay(invoice_id, self.on(jitter), amount), BILLING)

    @rule(authorization_id=authorizations, jitter=JITTER)
    def unencumber(self, authorization_id: UUID, jitter: int) -> None:
        self.attempt(self.file.unencumber(authorization_id, self.on(jitter)), BILLING)

    @rule(jitter=JITTER, remove=st.booleans())
    def leave_pe_services(self, jitter: int, remove: bool) -> None:
        on = self.on(jitter)
        self.attempt(self.file.remove(on) if remove else self.file.back_to_monitoring(on))

    @rule()
    def terminate_when_due(self) -> None:
        due = self.file.case.termination_date(POLICY)
        if due is not None and due < self.clock and self.file.case.terminated_on is None:
            assert self.attempt(self.file.terminate(due), DEADLINE_PROCESS)

    @invariant()
    def money_never_goes_negative_nor_exceeds_what_was_authorized_VR_10(self) -> None:
        case: Case = self.file.case
        for authorization in case.authorizations.values():
            assert 0 <= authorization.invoiced_cents <= authorization.amount_cents
            assert 0 <= authorization.paid_cents <= authorization.invoiced_cents
            assert authorization.remaining_cents >= 0
            assert authorization.encumbered_cents >= 0
        for invoice in case.invoices.values():
            assert invoice.paid_cents is None or 0 < invoice.paid_cents <= invoice.amount_cents
        assert case.encumbered_cents >= 0

    @invariant()
    def authorizations_stay_in_the_window_unless_exempt_VR_02_VR_03_VR_04(self) -> None:
        case = self.file.case
        outcome = case.outcome_date
        assert outcome is not None
        for authorization in case.authorizations.values():
            if authorization.grandfathered:
                continue
            overridden = {o.rule_id for o in authorization.overrides}
            assert (
                outcome <= authorization.planned_start <= POLICY.initiation_window_closes(outcome)
            )
            assert not POLICY.is_excluded(authorization.service_type)
            if authorization.planned_end > POLICY.planned_end_limit(outcome):
                assert "VR-03" in overridden
            if authorization.planned_end > POLICY.longest_planned_end(authorization.planned_start):
                assert "VR-04" in overridden

    @invariant()
    def the_termination_function_agrees_with_the_case_VR_11(self) -> None:
        events = self.file.all_events()
        assert termination_date(events, POLICY) == self.file.case.termination_date(POLICY)

    @invariant()
    def the_recorded_events_keep_the_money_rules_VR_10(self) -> None:
        invoiced: dict[UUID, int] = {}
        authorized: dict[UUID, int] = {}
        invoice_amounts: dict[UUID, int] = {}
        for recorded in self.file.all_events():
            if isinstance(recorded, Case.ServiceAuthorized):
                authorized[recorded.authorization_id] = recorded.amount_cents
            elif isinstance(recorded, Case.InvoiceReceived):
                invoiced[recorded.authorization_id] = (
                    invoiced.get(recorded.authorization_id, 0) + recorded.amount_cents
                )
                invoice_amounts[recorded.invoice_id] = recorded.amount_cents
                assert invoiced[recorded.authorization_id] <= authorized[recorded.authorization_id]
                assert recorded.remaining_authorized_cents >= 0
            elif isinstance(recorded, Case.InvoicePaid):
                assert recorded.amount_cents <= invoice_amounts[recorded.invoice_id]
            elif isinstance(recorded, Case.BalanceUnencumbered):
                assert recorded.amount_cents >= 0

    def teardown(self) -> None:
        if not hasattr(self, "file"):
            return
        events = self.file.all_events()
        assert rebuilt(events) == self.file.case
        # Through the wire: only what the events carry as JSON may rebuild the case.
        reloaded = [type(e).model_validate_json(e.model_dump_json()) for e in events]
        assert rebuilt(reloaded) == self.file.case


CaseHistory.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCaseHistory = CaseHistory.TestCase


def test_a_full_history_rebuilt_from_its_events_equals_the_case() -> None:
    file = CaseFile()
    request_id = file.open_request(date(2024, 3, 4))
    authorization_id = file.authorized(request_id, date(2024, 3, 5))
    closed_on = file.close_service(authorization_id, date(2024, 4, 1))
    file.do(file.back_to_monitoring(closed_on))
    file.do(file.terminate(date(2025, 2, 28)), DEADLINE_PROCESS)
    events: list[Any] = file.all_events()
    assert rebuilt(events) == file.case
    assert len(events) == 11
