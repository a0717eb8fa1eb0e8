"""Event identity: one id per (case, version), the same however often it is computed."""

from __future__ import annotations

import random
from uuid import UUID, uuid5

from domain.base import event_id, event_id_text


def test_an_event_id_is_the_uuid5_of_the_case_and_version() -> None:
    case_id = UUID("0b6c1a52-8f0e-4d8a-9a57-2f2b7f0f6a11")
    assert event_id(case_id, 3) == uuid5(case_id, "version:3")
    assert event_id(case_id, 3) != event_id(case_id, 4)


def test_the_event_id_text_is_the_event_id_written_out() -> None:
    ids = random.Random(5)
    for _ in range(2_000):
        case_id = UUID(int=ids.getrandbits(128))
        version = ids.randrange(1, 100_000)
        assert event_id_text(case_id, version) == str(event_id(case_id, version))
