"""The snapshot mapper: every kind of case state round-trips, encrypted or not, and a stored
snapshot is read only into the domain's own classes."""

from __future__ import annotations

import pickle
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from adapters.case_snapshots import (
    CaseSnapshot,
    CaseSnapshots,
    SnapshotMapper,
    SnapshotRejected,
    StoredSnapshot,
    _row_digest,
)
from domain.case import Case
from synthetic import SyntheticCaseload
from tests.builders import Replay

THROUGH = date(2024, 6, 30)


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return list(Replay(SyntheticCaseload(seed=7, cases=120).commands()).cases.values())


def cipher() -> AESCipher:
    return AESCipher(Environment(env={"CIPHER_KEY": AESCipher.create_key(32)}))


def never_connects() -> Any:
    raise AssertionError("restoring a snapshot needs no database")


def stored(mapper: SnapshotMapper, case: Case, state: bytes | None = None) -> StoredSnapshot:
    """The row `CaseSnapshots.add` would keep (with `state` in place of the mapper's)."""
    if state is None:
        state = mapper.to_stored_event(CaseSnapshot.of(case, THROUGH, "digest")).state
    row = StoredSnapshot(case.id, case.version, THROUGH, "digest", "", state)
    return StoredSnapshot(case.id, case.version, THROUGH, "digest", _row_digest(row), state)


@pytest.mark.parametrize("encrypted", [False, True])
def test_every_kind_of_case_state_comes_back_from_its_snapshot_as_it_was(
    cases: list[Case], encrypted: bool
) -> None:
    assert any(case.assistance.jobs and case.assistance.plan for case in cases)
    assert any(case.authorizations and case.invoices for case in cases)
    mapper = SnapshotMapper(cipher() if encrypted else None)
    snapshots = CaseSnapshots(never_connects, mapper, interval=10)
    for case in cases:
        restored = snapshots.restore(stored(mapper, case))
        assert vars(restored) == {**vars(case), "_pending_events": []}


def test_a_snapshot_encrypted_with_another_key_is_refused(cases: list[Case]) -> None:
    row = stored(SnapshotMapper(cipher()), cases[0])
    with pytest.raises(SnapshotRejected, match="does not decode"):
        CaseSnapshots(never_connects, SnapshotMapper(cipher()), interval=10).restore(row)


class _Runs:
    """What a snapshot row changed by hand could hold: a call to code outside the domain."""

    def __init__(self, witness: Path) -> None:
        self.witness = witness

    def __reduce__(self) -> Any:
        return (Path.touch, (self.witness,))


def test_a_snapshot_naming_code_outside_the_domain_is_refused_before_anything_runs(
    cases: list[Case], tmp_path: Path
) -> None:
    witness = tmp_path / "ran"
    mapper = SnapshotMapper()
    payload = pickle.dumps({"topic": "domain.case:Case", "state": _Runs(witness)}, protocol=5)

    with pytest.raises(SnapshotRejected, match="may not hold pathlib"):
        CaseSnapshots(never_connects, mapper, interval=10).restore(
            stored(mapper, cases[0], payload)
        )
    assert not witness.exists()


def test_a_snapshot_naming_a_class_the_domain_only_imports_is_refused(cases: list[Case]) -> None:
    mapper = SnapshotMapper()
    # {"topic": "domain.case:Case", "state": domain.base.BaseModel}, pydantic's class imported
    # there, written by hand (pickle itself would name pydantic's module).
    payload = (
        b"(dp0\nVtopic\np1\nVdomain.case:Case\np2\nsVstate\np3\ncdomain.base\nBaseModel\np4\ns."
    )

    with pytest.raises(SnapshotRejected, match=r"may not hold domain\.base\.BaseModel"):
        CaseSnapshots(never_connects, mapper, interval=10).restore(
            stored(mapper, cases[0], payload)
        )
