"""The money after an authorization (VR-10; TA-10 applies it to cash-assistance purchases): a
provider's invoice within what remains authorized, its payment, and the release of the balance."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.authorizations.commands import PayInvoice, ReceiveInvoice, UnencumberBalance
from domain.authorizations.events import BalanceUnencumbered, InvoicePaid, InvoiceReceived
from domain.authorizations.records import Authorization
from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand, RuleViolation
from domain.events import Program
from domain.policy import PolicyBook
from domain.values import AuthorizationStatus


def money_rule(case: Case) -> str:
    """The rule the money checks enforce: VR-10, or TA-10 which applies it to purchases."""
    return "TA-10" if case.program is Program.CASH_ASSISTANCE else "VR-10"


def money_policy_version(case: Case, policies: PolicyBook, on: date) -> str:
    """The policy version a money decision records; VR money stops at termination (VR-11)."""
    if case.program is Program.CASH_ASSISTANCE:
        return case.assistance_policy(policies).version
    policy = case.governing_policy(policies)
    case.refuse_after_termination(on, policy)
    return policy.version


def authorization(case: Case, authorization_id: UUID) -> Authorization:
    """The case's authorization of that id; a refusal naming it when there is none."""
    found = case.authorizations.get(authorization_id)
    if found is None:
        raise InvalidCommand(f"no authorization {authorization_id} on case {case.case_number}")
    return found


def receive_invoice(
    case: Case, command: ReceiveInvoice, actor: Actor, policies: PolicyBook
) -> None:
    existing = case.invoices.get(command.invoice_id)
    if existing is not None:
        if (
            existing.authorization_id,
            existing.received_on,
            existing.invoice_number,
            existing.amount_cents,
        ) == (
            command.authorization_id,
            command.received_on,
            command.invoice_number,
            command.amount_cents,
        ):
            return
        raise InvalidCommand(
            f"invoice {command.invoice_id} was already recorded with other details"
        )
    invoiced = authorization(case, command.authorization_id)
    if command.received_on < invoiced.authorized_on:
        raise InvalidCommand("an invoice cannot precede its authorization")
    if command.amount_cents <= 0:
        raise InvalidCommand("an invoice is for a positive amount")
    if command.amount_cents > invoiced.remaining_cents:
        raise RuleViolation(
            money_rule(case),
            f"the invoice of {command.amount_cents} cents exceeds the {invoiced.remaining_cents} "
            f"cents that remain authorized on {command.authorization_id}",
        )
    policy_version = money_policy_version(case, policies, command.received_on)
    case.record(
        InvoiceReceived,
        effective_on=command.received_on,
        invoice_id=command.invoice_id,
        authorization_id=command.authorization_id,
        invoice_number=command.invoice_number,
        amount_cents=command.amount_cents,
        remaining_authorized_cents=invoiced.remaining_cents - command.amount_cents,
        policy_version=policy_version,
        actor=actor,
    )


def pay_invoice(case: Case, command: PayInvoice, actor: Actor, policies: PolicyBook) -> None:
    invoice = case.invoices.get(command.invoice_id)
    if invoice is None:
        raise InvalidCommand(f"no invoice {command.invoice_id} on case {case.case_number}")
    if invoice.is_paid:
        if (invoice.paid_on, invoice.paid_cents) == (command.paid_on, command.amount_cents):
            return
        raise RuleViolation(
            money_rule(case), f"invoice {command.invoice_id} was already paid on {invoice.paid_on}"
        )
    if command.paid_on < invoice.received_on:
        raise InvalidCommand("an invoice cannot be paid before it was received")
    if command.amount_cents <= 0:
        raise InvalidCommand("a payment is for a positive amount")
    if command.amount_cents > invoice.amount_cents:
        raise RuleViolation(
            money_rule(case),
            f"the payment of {command.amount_cents} cents exceeds the invoice of "
            f"{invoice.amount_cents} cents",
        )
    policy_version = money_policy_version(case, policies, command.paid_on)
    case.record(
        InvoicePaid,
        effective_on=command.paid_on,
        invoice_id=command.invoice_id,
        authorization_id=invoice.authorization_id,
        amount_cents=command.amount_cents,
        policy_version=policy_version,
        actor=actor,
    )


def unencumber_balance(
    case: Case, command: UnencumberBalance, actor: Actor, policies: PolicyBook
) -> None:
    released = authorization(case, command.authorization_id)
    if released.is_closed:
        raise InvalidCommand(
            f"the balance of {command.authorization_id} was unencumbered on "
            f"{released.unencumbered_on}"
        )
    if released.status is AuthorizationStatus.AUTHORIZED:
        raise RuleViolation(
            money_rule(case),
            f"the service of {command.authorization_id} is neither provided nor cancelled",
        )
    unpaid = [i for i in released.invoice_ids if not case.invoices[i].is_paid]
    if unpaid:
        raise RuleViolation(
            money_rule(case), f"invoices not yet paid: {', '.join(map(str, unpaid))}"
        )
    latest = max(
        [released.ended_on or released.authorized_on]
        + [case.invoices[i].paid_on or released.authorized_on for i in released.invoice_ids]
    )
    if command.unencumbered_on < latest:
        raise InvalidCommand(f"the balance can be unencumbered from {latest}")
    policy_version = money_policy_version(case, policies, command.unencumbered_on)
    case.record(
        BalanceUnencumbered,
        effective_on=command.unencumbered_on,
        authorization_id=command.authorization_id,
        amount_cents=released.encumbered_cents,
        policy_version=policy_version,
        actor=actor,
    )
