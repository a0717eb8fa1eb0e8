"""The pages as HTML over HTTP: the case page, the caseload board, signing in, and problems shown
as pages. (tests/integration/test_pages_browser.py renders them in Chromium.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from api import create_app
from application.settings import Settings
from domain.base import Role
from tests.integration.api_support import ROLE_ACTORS, TOKENS, TestClient, auth, token_for
from tests.integration.pages_support import (
    CAP_CASE,
    TAMPERED_CASE,
    PagesData,
    fill_pages_data,
)

AUDITOR = auth(ROLE_ACTORS[Role.AUDITOR])
SUPERVISOR = auth(ROLE_ACTORS[Role.SUPERVISOR])


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> PagesData:
    return fill_pages_data(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def client(data: PagesData) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=data.data_dir), TOKENS)) as client:
        yield client


def drawn(page: str, kind: str) -> list[dict[str, str]]:
    """The drawing's items of a kind, by their data attributes."""
    items = []
    for tag in re.findall(rf'<g class="(?:span|mark) {kind}[^"]*"[^>]*>', page):
        items.append(dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag)))
    return items


def test_the_case_page_draws_the_initiation_window_to_outcome_plus_12_months_VR_02(
    client: TestClient,
) -> None:
    response = client.get(f"/pages/cases/{CAP_CASE}", headers=AUDITOR)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert drawn(response.text, "window") == [
        {"kind": "window", "start": "2025-01-15", "end": "2026-01-15"}
    ]
    assert drawn(response.text, "outcome") == [{"kind": "outcome", "on": "2025-01-15"}]


def test_a_service_planned_beyond_its_cap_is_marked_with_its_override_VR_04(
    client: TestClient,
) -> None:
    page = client.get(f"/pages/cases/{CAP_CASE}", headers=AUDITOR).text

    assert drawn(page, "cap") == [{"kind": "cap", "start": "2025-02-03", "end": "2025-05-03"}]
    assert drawn(page, "beyond-cap") == [
        {"kind": "beyond-cap", "start": "2025-05-04", "end": "2025-06-30"}
    ]
    assert "beyond the cap (VR-04), overridden" in page
    assert "VR-04: the course runs five months" in page
    assert "$1,234.56" in page and "123456" not in page


def test_an_intact_chain_is_shown_verified_and_a_tampered_one_broken_at_its_version(
    client: TestClient,
) -> None:
    intact = client.get(f"/pages/cases/{CAP_CASE}", headers=AUDITOR).text
    tampered = client.get(f"/pages/cases/{TAMPERED_CASE}", headers=AUDITOR).text

    assert 'id="chain" data-intact="true"' in intact
    assert "Hash chain verified" in intact and "up to version 5" in intact
    assert 'id="chain" data-intact="false"' in tampered
    assert "Hash chain broken" in tampered and "verified up to version 2 of 5" in tampered
    assert "version 3" in tampered and "content changed" in tampered


def test_as_of_a_date_what_came_later_is_greyed_and_the_figures_are_those_of_that_day(
    client: TestClient,
) -> None:
    page = client.get(f"/pages/cases/{CAP_CASE}?as_of=2025-01-20", headers=AUDITOR).text

    facts = page[page.index('id="facts"') :]
    rows = re.findall(r"<tr( class=\"later\")?><td class=\"num\">(\d+)</td>", facts)
    assert [(version, bool(later)) for later, version in rows] == [
        ("1", False),
        ("2", False),
        ("3", True),
        ("4", True),
        ("5", True),
    ]
    assert "<dt>Version</dt><dd>2</dd>" in page
    assert drawn(page, "planned later") != []  # the authorization came after the date


def test_the_facts_read_in_words_with_dollars_dates_actor_and_role(client: TestClient) -> None:
    page = client.get(f"/pages/cases/{CAP_CASE}", headers=AUDITOR).text

    assert "<strong>Service authorized</strong>" in page
    assert "<strong>PE services found appropriate</strong>" in page
    assert "hourly_wage_cents" not in page and "$18.50" in page
    assert "sup-1" in page and "supervisor" in page
    assert "True" not in page and "None" not in page


def test_the_caseload_board_groups_cases_by_caseworker_and_links_each_to_its_page(
    client: TestClient, data: PagesData
) -> None:
    page = client.get("/pages/caseload", headers=SUPERVISOR).text

    for caseworker in data.caseworkers:
        assert f'id="caseworker-{caseworker}"' in page
    for number in data.synthetic_case_numbers:
        assert f'<a href="/pages/cases/{number}">{number}</a>' in page


def test_the_caseload_board_filters_by_caseworker_and_program(
    client: TestClient, data: PagesData
) -> None:
    one = data.caseworkers[0]
    page = client.get(f"/pages/caseload?caseworker={one}&program=vr", headers=SUPERVISOR).text

    sections = re.findall(r'id="caseworker-([^"]+)"', page)
    assert sections == [one]
    assert f'value="{one}"' in page  # the form keeps the filter
    assert "TA-" not in re.sub(r"<form.*?</form>", "", page, flags=re.S)


def test_a_page_without_a_token_leads_to_the_sign_in_and_back(client: TestClient) -> None:
    asked = client.get(f"/pages/cases/{CAP_CASE}?as_of=2025-02-01", follow_redirects=False)

    assert asked.status_code == 303
    where = urlsplit(asked.headers["location"])
    assert where.path == "/pages/sign-in"
    target = parse_qs(where.query)["next"][0]
    assert target == f"/pages/cases/{CAP_CASE}?as_of=2025-02-01"

    signed = client.post(
        "/pages/sign-in",
        content=f"token={token_for(ROLE_ACTORS[Role.AUDITOR])}&next={target.replace('&', '%26')}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )

    assert signed.status_code == 303 and signed.headers["location"] == target
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/pages" in cookie
    page = client.get(target)
    assert page.status_code == 200 and "Case VR-PAGES-CAP" in page.text
    client.post("/pages/sign-out", follow_redirects=False)
    assert client.get(target, follow_redirects=False).status_code == 303


def test_a_wrong_token_is_refused_and_sign_in_never_sends_the_browser_elsewhere(
    client: TestClient,
) -> None:
    wrong = client.post(
        "/pages/sign-in",
        content="token=not-a-token&next=/pages/caseload",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    offsite = client.post(
        "/pages/sign-in",
        content=f"token={token_for(ROLE_ACTORS[Role.AUDITOR])}&next=https://elsewhere.example/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    client.cookies.clear()

    assert wrong.status_code == 303 and "refused=token" in wrong.headers["location"]
    assert "set-cookie" not in wrong.headers
    assert offsite.headers["location"] == "/pages/caseload"
    told = client.get(wrong.headers["location"]).text
    assert "That token is not valid." in told
    forged = client.get("/pages/sign-in?refused=Your+account+is+locked%2C+call+555").text
    assert "Your account is locked" not in forged and 'role="alert"' not in forged


def test_problems_are_pages_naming_what_was_wrong(client: TestClient) -> None:
    unknown = client.get("/pages/cases/VR-NEVER-OPENED", headers=AUDITOR)
    bad_date = client.get(f"/pages/cases/{CAP_CASE}?as_of=2025-13-01", headers=AUDITOR)
    bad_filter = client.get("/pages/caseload?status=asleep", headers=SUPERVISOR)
    billing = client.get(f"/pages/cases/{CAP_CASE}", headers=auth(ROLE_ACTORS[Role.BILLING]))

    assert unknown.status_code == 404 and "No case VR-NEVER-OPENED is recorded" in unknown.text
    assert bad_date.status_code == 422 and "as_of must be a date as YYYY-MM-DD" in bad_date.text
    assert bad_filter.status_code == 422 and "status must be one of" in bad_filter.text
    assert billing.status_code == 403 and "billing" in billing.text
    for response in (unknown, bad_date, bad_filter, billing):
        assert response.headers["content-type"].startswith("text/html")
        assert "Traceback" not in response.text


def test_a_refused_attempt_is_shown_beside_the_facts_with_its_rule_and_its_own_chain_VR_06(
    client: TestClient,
) -> None:
    page = client.get(f"/pages/cases/{CAP_CASE}", headers=AUDITOR).text

    facts = page[page.index('id="facts"') :]
    attempt = re.search(r'<tr class="refused">(.*?)</tr>', facts, re.S)
    assert attempt is not None
    assert "Attempted: Authorize service" in attempt.group(1)
    assert "refused by VR-06" in attempt.group(1)
    assert "employment job placement" in attempt.group(1)
    # It comes after the fact it met: the case's last, version 5.
    assert facts.index('<td class="num">5</td>') < facts.index('<tr class="refused">')
    assert len(drawn(page, "refused")) == 1
    assert 'id="refusal-chain" data-intact="true"' in page
