"""Personal data stays out of events and Kafka, is encrypted at rest, and erasure shreds it."""

from __future__ import annotations

import base64
import logging
import os
import random
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.avro import AvroCodec, ContractError, published_schemas
from api import create_app
from api.access import ROLES_BY_OPERATION
from application.bootstrap import (
    build_case_management,
    build_refusal_relay,
    build_relay,
    open_personal_data_store,
)
from application.personal_data import (
    DEVELOPMENT_KEY_FILE,
    Access,
    PersonalData,
    PersonalDataErased,
    PersonalDataKeyError,
    PersonalDataNotFound,
    PersonalDataStore,
    new_master_key,
)
from application.settings import Settings
from domain.base import Role
from synthetic import EMPLOYERS, SyntheticCaseload, drive
from tests.conftest import unique
from tests.integration.api_support import (
    CASEWORKER,
    PROBLEM_JSON,
    ROLE_ACTORS,
    SUPERVISOR,
    TOKENS,
    TestClient,
    assert_problem,
    auth,
)
from tests.pipeline import SteppedSystem
from tests.topic_reader import read_topic

AVRO_SINGLE_OBJECT_MARKER = b"\xc3\x01"


def is_published_avro(value: bytes, codec: AvroCodec) -> bool:
    """Single-object Avro of one of the contract's schemas (marker and known fingerprint)."""
    try:
        codec.writer_of(value)
    except ContractError:
        return False
    return True


PERSONAL_DATA_OPERATIONS = ("put_personal_data", "get_personal_data", "erase_personal_data")

GIVEN_NAMES = ("Ysolde", "Thaddeus", "Marisol", "Oluwaseun", "Bartholomew", "Ingeborg", "Cosimo")
FAMILY_NAMES = ("Quillfeather", "Abernathy", "Lindqvist", "Okonkwo", "Vasquez", "Marchetti")
STREETS = ("Juniper Hollow Rd", "Wrenfield Ave", "Old Quarry Ln", "Tamarack Ct")


def fake_personal_data(client_ref: str) -> PersonalData:
    """Deterministic, made-up personal data for one client reference."""
    rng = random.Random(f"pes-test-personal-data:{client_ref}")
    given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
    serial = rng.randrange(10_000, 99_999)
    return PersonalData(
        given_name=given,
        family_name=f"{family}{serial}",
        date_of_birth=date(rng.randint(1940, 1975), rng.randint(1, 12), rng.randint(1, 28)),
        phone=f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        email=f"{given.lower()}.{family.lower()}{serial}@example.org",
        address=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}, Springfield",
        national_id=f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
    )


def needles(data: PersonalData) -> set[bytes]:
    """Every personal value of the record, as the bytes a leak would contain."""
    values: set[str] = {f"{data.given_name} {data.family_name}", data.family_name}
    values.update(
        str(value) for value in (data.date_of_birth, data.phone, data.email, data.address)
    )
    values.add(data.national_id or "")
    return {value.encode() for value in values if value}


def leaks(haystack: bytes, sought: set[bytes]) -> set[bytes]:
    return {needle for needle in sought if needle in haystack}


def database_bytes(path: Path) -> bytes:
    """The database file with its WAL and journal, as they lie on disk."""
    files = [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-journal"))]
    return b"".join(file.read_bytes() for file in files if file.exists())


def client_refs(caseload: SyntheticCaseload) -> list[str]:
    return sorted(
        {
            command.client_ref
            for _, command, _ in caseload.commands()
            if hasattr(command, "client_ref")
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PersonalDataStore]:
    store = open_personal_data_store(
        Settings(data_dir=tmp_path, personal_data_key=new_master_key())
    )
    yield store
    store.close()


def message_bytes(message: Any) -> bytes:
    headers = b"".join(key.encode() + (value or b"") for key, value in message.headers or ())
    return (message.key or b"") + (message.value or b"") + headers


# (a) Nothing personal on the wire or in the event store


@pytest.mark.kafka
def test_no_message_on_any_topic_and_no_stored_event_carries_personal_data(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        deadline_alerts_topic=unique("test.alerts"),
        command_refusals_topic=unique("test.command-refusals"),
        case_events_partitions=3,
        personal_data_key=new_master_key(),
    )
    caseload = SyntheticCaseload(seed=4, cases=60)
    refs = client_refs(caseload)
    assert len(refs) == 60
    store = open_personal_data_store(settings)
    personal = {ref: fake_personal_data(ref) for ref in refs}
    for ref, data in personal.items():
        store.put(ref, data, CASEWORKER)
    sought = set().union(*(needles(data) for data in personal.values()))

    system = SteppedSystem(settings, group_id=unique("test-pii"))
    try:
        result = drive(system.app, caseload.commands())
        assert result.unexpected == []
        # A year on: the deadline process terminates some cases and alerts on others.
        report = system.tick(date(2025, 3, 1))
        system.sync()
    finally:
        system.close()
    store.close()
    assert report.terminated and report.alerts
    refusal_relay = build_refusal_relay(settings)
    refusal_relay.drain()
    refusal_relay.close()

    topics = [
        settings.case_events_topic,
        f"{settings.case_events_topic}.dlq",
        settings.deadline_alerts_topic,
        settings.command_refusals_topic,
    ]
    messages = {topic: read_topic(kafka_bootstrap, topic) for topic in topics}
    assert len(messages[settings.case_events_topic]) > 60 * 3
    assert len(messages[settings.deadline_alerts_topic]) > 0
    assert len(messages[settings.command_refusals_topic]) > 0
    for topic, topic_messages in messages.items():
        for message in topic_messages:
            assert not leaks(message_bytes(message), sought), (topic, message.offset)
    # Client references are what events carry instead: the scan looks at the right bytes.
    case_messages = b"".join(map(message_bytes, messages[settings.case_events_topic]))
    assert all(ref.encode() in case_messages for ref in refs)

    for database in ("events.sqlite", "views.sqlite", "personal_data.sqlite"):
        assert not leaks(database_bytes(tmp_path / database), sought), database


# (b) Erasure


def test_erasure_shreds_the_record_and_keeps_the_case_history(
    tmp_path: Path, store: PersonalDataStore
) -> None:
    caseload = SyntheticCaseload(seed=6, cases=3)
    app = build_case_management(Settings(data_dir=tmp_path))
    assert drive(app, caseload.commands()).unexpected == []
    erased_case, kept_case = (plan.case_id for plan in caseload.plans()[:2])
    erased_ref = app.get_case(erased_case).client_ref
    kept_ref = app.get_case(kept_case).client_ref
    for ref in (erased_ref, kept_ref):
        store.put(ref, fake_personal_data(ref), CASEWORKER)
    history_before = app.history(erased_case)
    stored_bytes_before = [n.state for n in app.recorder.select_notifications(start=1, limit=1000)]
    path = tmp_path / "personal_data.sqlite"
    with sqlite3.connect(path) as reader:
        wrapped_key, ciphertext = reader.execute(
            "SELECT wrapped_key, ciphertext FROM personal_data WHERE client_ref = ?",
            (erased_ref,),
        ).fetchone()
    reader.close()

    erasure = store.erase(erased_ref, SUPERVISOR, "Client asked for erasure (ticket 4711)")

    with pytest.raises(PersonalDataErased) as erased:
        store.get(erased_ref, CASEWORKER)
    assert erased.value.erasure == erasure
    assert store.erasure(erased_ref) == erasure
    assert (erasure.erased_by, erasure.reason) == (
        SUPERVISOR,
        "Client asked for erasure (ticket 4711)",
    )
    assert store.get("CL-never-stored", CASEWORKER) is None
    assert store.get(kept_ref, CASEWORKER) == fake_personal_data(kept_ref)
    on_disk = database_bytes(path)
    assert not leaks(on_disk, {wrapped_key, ciphertext, *needles(fake_personal_data(erased_ref))})
    assert erased_ref.encode() in on_disk  # the erasure record names the client, nothing more
    # The case history is untouched, byte for byte, and still reads.
    assert app.history(erased_case) == history_before
    assert [
        n.state for n in app.recorder.select_notifications(start=1, limit=1000)
    ] == stored_bytes_before
    assert app.get_case(erased_case).client_ref == erased_ref
    assert [(access, actor) for _, access, actor in store.access_log(erased_ref)] == [
        (Access.PUT, CASEWORKER),
        (Access.ERASE, SUPERVISOR),
    ]
    app.close()


def test_erasure_is_final_and_needs_something_to_erase(store: PersonalDataStore) -> None:
    store.put("CL-1", fake_personal_data("CL-1"), CASEWORKER)
    store.erase("CL-1", SUPERVISOR, "requested")

    with pytest.raises(PersonalDataErased):
        store.put("CL-1", fake_personal_data("CL-1"), CASEWORKER)
    with pytest.raises(PersonalDataErased):
        store.erase("CL-1", SUPERVISOR, "again")
    with pytest.raises(PersonalDataNotFound):
        store.erase("CL-2", SUPERVISOR, "never stored")
    with pytest.raises(ValueError, match="reason"):
        store.erase("CL-3", SUPERVISOR, "  ")


# (d) Encryption at rest and the master key


def test_the_personal_data_file_holds_no_plaintext(
    tmp_path: Path, store: PersonalDataStore
) -> None:
    records = {f"CL-{n:06d}": fake_personal_data(f"CL-{n:06d}") for n in range(1, 21)}
    for ref, data in records.items():
        store.put(ref, data, CASEWORKER)
    store.put("CL-000001", records["CL-000002"], SUPERVISOR)  # a replaced record

    on_disk = database_bytes(tmp_path / "personal_data.sqlite")

    assert not leaks(on_disk, set().union(*(needles(d) for d in records.values())))
    assert store.get("CL-000001", SUPERVISOR) == records["CL-000002"]
    assert store.get("CL-000003", CASEWORKER) == records["CL-000003"]


def test_another_master_key_cannot_read_the_records(tmp_path: Path) -> None:
    key = new_master_key()
    with_key = Settings(data_dir=tmp_path, personal_data_key=key)
    store = open_personal_data_store(with_key)
    store.put("CL-1", fake_personal_data("CL-1"), CASEWORKER)
    store.close()
    other = Settings(data_dir=tmp_path, personal_data_key=new_master_key())
    store = open_personal_data_store(other)

    with pytest.raises(PersonalDataKeyError, match="does not decrypt"):
        store.get("CL-1", CASEWORKER)
    store.close()


def test_the_store_refuses_to_open_without_a_valid_master_key(tmp_path: Path) -> None:
    with pytest.raises(PersonalDataKeyError, match="PES_PERSONAL_DATA_KEY is not set"):
        open_personal_data_store(Settings(data_dir=tmp_path))
    short = base64.b64encode(os.urandom(16)).decode()
    for bad in (short, "not base64!"):
        with pytest.raises(PersonalDataKeyError):
            open_personal_data_store(Settings(data_dir=tmp_path, personal_data_key=bad))
    assert not (tmp_path / DEVELOPMENT_KEY_FILE).exists()


def test_development_mode_keeps_a_generated_key_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="application.personal_data"):
        store = open_personal_data_store(Settings(data_dir=tmp_path), development=True)
    store.put("CL-1", fake_personal_data("CL-1"), CASEWORKER)
    store.close()
    store = open_personal_data_store(Settings(data_dir=tmp_path), development=True)

    assert store.get("CL-1", CASEWORKER) == fake_personal_data("CL-1")
    assert "DEVELOPMENT MODE" in caplog.text
    assert stat.S_IMODE((tmp_path / DEVELOPMENT_KEY_FILE).stat().st_mode) == 0o600
    store.close()


# Event store encryption at rest (PES_CIPHER_KEY)


@pytest.mark.kafka
def test_with_a_cipher_key_stored_events_are_ciphertext_and_kafka_gets_plain_avro(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        case_events_partitions=3,
        cipher_key=base64.b64encode(os.urandom(32)).decode(),
    )
    app = build_case_management(settings)
    caseload = SyntheticCaseload(seed=8, cases=12)
    assert drive(app, caseload.commands()).unexpected == []
    employers = {name.encode() for name in EMPLOYERS}

    stored = app.recorder.select_notifications(start=1, limit=10_000)
    codec = AvroCodec(published_schemas())
    # Not the marker alone: a ciphertext opens with a random nonce, and about one in 65,536
    # starts with C3 01; none also carries a known schema's fingerprint after it.
    assert stored and not any(is_published_avro(n.state, codec) for n in stored)
    assert not leaks(database_bytes(settings.sqlite_path), employers)
    for plan in caseload.plans():
        assert app.get_case(plan.case_id).version > 0
    relay = build_relay(settings, app)
    relay.drain()
    relay.close()
    app.close()

    messages = read_topic(kafka_bootstrap, settings.case_events_topic)
    assert len(messages) == len(stored)
    assert all(m.value.startswith(AVRO_SINGLE_OBJECT_MARKER) for m in messages)
    assert {codec.decode(m.value).record["case_version"] for m in messages} >= {1}
    assert leaks(b"".join(m.value for m in messages), employers)

    without_key = build_case_management(settings.model_copy(update={"cipher_key": None}))
    with pytest.raises(Exception):  # noqa: B017 - whatever the library raises, it cannot read
        without_key.get_case(caseload.plans()[0].case_id)
    without_key.close()


# (c) The HTTP API


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("pii-api"),
        personal_data_key=new_master_key(),
    )
    with TestClient(create_app(settings, TOKENS)) as client:
        yield client


def personal_data_request(operation: str, client_ref: str) -> tuple[str, str, dict[str, Any]]:
    if operation == "put_personal_data":
        body = fake_personal_data(client_ref).model_dump(mode="json")
        return "PUT", f"/clients/{client_ref}/personal-data", body
    if operation == "get_personal_data":
        return "GET", f"/clients/{client_ref}/personal-data", {}
    return "POST", f"/clients/{client_ref}/erasure", {"reason": "client request"}


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("operation", PERSONAL_DATA_OPERATIONS)
def test_each_personal_data_route_is_open_to_its_roles_only(
    client: TestClient, operation: str, role: Role
) -> None:
    method, path, body = personal_data_request(operation, f"CL-{operation}-{role.value}")

    response = client.request(method, path, json=body or None, headers=auth(ROLE_ACTORS[role]))

    if role in ROLES_BY_OPERATION[operation]:
        assert response.status_code == {"put_personal_data": 204}.get(operation, 404)
    else:
        assert operation in assert_problem(response, 403, "forbidden")["detail"]


def test_auditors_analysts_and_billing_never_read_personal_data() -> None:
    readers = ROLES_BY_OPERATION["get_personal_data"]

    assert readers == {Role.CASEWORKER, Role.SUPERVISOR}
    assert ROLES_BY_OPERATION["erase_personal_data"] == {Role.SUPERVISOR}


def test_put_get_erase_over_http(client: TestClient) -> None:
    data = fake_personal_data("CL-http")
    path = "/clients/CL-http/personal-data"

    put = client.put(path, json=data.model_dump(mode="json"), headers=auth(CASEWORKER))
    got = client.get(path, headers=auth(SUPERVISOR))
    refused = client.post(
        "/clients/CL-http/erasure", json={"reason": "x"}, headers=auth(CASEWORKER)
    )
    erased = client.post(
        "/clients/CL-http/erasure", json={"reason": "client request"}, headers=auth(SUPERVISOR)
    )
    after = client.get(path, headers=auth(CASEWORKER))
    again = client.put(path, json=data.model_dump(mode="json"), headers=auth(CASEWORKER))

    assert put.status_code == 204
    assert got.status_code == 200 and PersonalData.model_validate(got.json()) == data
    assert got.headers["Cache-Control"] == "no-store"
    assert_problem(refused, 403, "forbidden")
    assert erased.status_code == 201
    assert erased.json()["erased_by"] == SUPERVISOR.id
    assert erased.json()["reason"] == "client request"
    assert_problem(after, 410, "personal-data-erased")
    assert_problem(again, 410, "personal-data-erased")
    assert_problem(
        client.get("/clients/CL-none/personal-data", headers=auth(CASEWORKER)),
        404,
        "personal-data-not-found",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"given_name": "Ada"},
        {"given_name": "Ada", "family_name": "Byron", "email": "not-an-email"},
        {"given_name": "Ada", "family_name": "Byron", "shoe_size": 9},
        {"given_name": " ", "family_name": "Byron"},
        {"given_name": "Ada", "family_name": "Byron", "date_of_birth": 0},
        {"given_name": "Ada", "family_name": "Byron", "date_of_birth": "1815-12-10T00:00:00"},
        {"given_name": "Ada", "family_name": "Byron", "date_of_birth": "18151210"},
    ],
)
def test_invalid_personal_data_is_a_problem_that_does_not_echo_it(
    client: TestClient, body: dict[str, Any]
) -> None:
    response = client.put("/clients/CL-bad/personal-data", json=body, headers=auth(CASEWORKER))

    assert response.headers["content-type"] == PROBLEM_JSON
    problem = assert_problem(response, 422, "validation-failed")
    assert "Byron" not in response.text and "not-an-email" not in response.text, problem


@pytest.mark.parametrize("body", [{}, {"reason": "   "}, {"reason": "r" * 501}])
def test_an_erasure_needs_a_reason(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/clients/CL-any/erasure", json=body, headers=auth(SUPERVISOR))

    assert_problem(response, 422, "validation-failed")


def test_without_a_master_key_the_api_has_no_personal_data_routes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="api.app"):
        app = create_app(Settings(data_dir=tmp_path), TOKENS)
    with TestClient(app) as client:
        response = client.get("/clients/CL-1/personal-data", headers=auth(CASEWORKER))

    assert response.status_code == 404
    assert "PES_PERSONAL_DATA_KEY is not set" in caplog.text
    assert not (tmp_path / "personal_data.sqlite").exists()


def test_no_generated_personal_data_request_gets_a_server_error(tmp_path: Path) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    app = create_app(Settings(data_dir=tmp_path, personal_data_key=new_master_key()), TOKENS)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())
        if operation.definition.raw["operationId"] in PERSONAL_DATA_OPERATIONS
    ]
    assert len(operations) == len(PERSONAL_DATA_OPERATIONS)
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    cases = st.one_of(
        *(operation.as_strategy(generation_mode=mode) for operation in operations for mode in modes)
    )
    statuses: list[int] = []

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, role=st.sampled_from([Role.CASEWORKER, Role.SUPERVISOR]))
    def fuzz(case: Any, role: Role) -> None:
        response = case.call(headers=auth(ROLE_ACTORS[role]))
        statuses.append(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, case.body)
        if response.status_code >= 400:
            assert response.headers["content-type"] == [PROBLEM_JSON]

    with TestClient(app):
        fuzz()

    assert {204, 404, 422} <= set(statuses), sorted(set(statuses))


@pytest.mark.postgres
def test_the_store_keeps_and_erases_records_in_postgresql(
    tmp_path: Path, postgres_server: Any
) -> None:
    dbname = unique("pii")
    postgres_server.create_database(dbname)
    connection = postgres_server.connection
    settings = Settings(
        data_dir=tmp_path,
        personal_data_store="postgres",
        personal_data_key=new_master_key(),
        POSTGRES_HOST=connection["host"],
        POSTGRES_PORT=int(connection["port"]),
        POSTGRES_USER=connection["user"],
        POSTGRES_PASSWORD=connection["password"],
        POSTGRES_DBNAME=dbname,
    )
    store = open_personal_data_store(settings)
    try:
        for ref in ("CL-1", "CL-2"):
            store.put(ref, fake_personal_data(ref), CASEWORKER)
        store.put("CL-1", fake_personal_data("CL-3"), SUPERVISOR)

        erasure = store.erase("CL-2", SUPERVISOR, "client request")

        assert store.get("CL-1", CASEWORKER) == fake_personal_data("CL-3")
        with pytest.raises(PersonalDataErased):
            store.get("CL-2", CASEWORKER)
        assert store.erasure("CL-2") == erasure
        assert store.get("CL-9", CASEWORKER) is None
        assert [access for _, access, _ in store.access_log("CL-2")] == [Access.PUT, Access.ERASE]
        assert not (tmp_path / "personal_data.sqlite").exists()
    finally:
        store.close()
