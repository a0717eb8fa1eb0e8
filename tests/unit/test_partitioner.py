"""The relay's partitioner: kafka-python's default choice for every key, remembered, bounded."""

from __future__ import annotations

import random
from uuid import UUID

from kafka.partitioner import DefaultPartitioner

from adapters.kafka import RememberedPartitions


class Metadata:
    """The three questions a partitioner asks of kafka-python's cluster metadata."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions

    def topics(self) -> set[str]:
        return {"pes.case-events"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.partitions))

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.partitions))


def case_keys(count: int) -> list[bytes]:
    ids = random.Random(9)
    return [str(UUID(int=ids.getrandbits(128))).encode() for _ in range(count)]


def choose(partitioner: DefaultPartitioner, key: bytes, cluster: Metadata) -> int:
    return int(partitioner.partition("pes.case-events", key, key, b"v", b"v", cluster))


def test_every_key_goes_where_the_default_partitioner_sends_it_asked_once_or_again() -> None:
    remembered, default = RememberedPartitions(), DefaultPartitioner()
    for partitions in (1, 3, 7, 12):
        cluster = Metadata(partitions)
        for key in case_keys(500):
            expected = choose(default, key, cluster)
            assert choose(remembered, key, cluster) == expected
            assert choose(remembered, key, cluster) == expected  # now from memory


def test_more_partitions_are_a_new_question_not_answered_from_memory() -> None:
    remembered, default = RememberedPartitions(), DefaultPartitioner()
    keys = case_keys(200)
    for key in keys:
        choose(remembered, key, Metadata(3))

    moved = [k for k in keys if choose(default, k, Metadata(8)) != choose(default, k, Metadata(3))]
    assert moved  # the test would show nothing if no key changed partition
    for key in keys:
        assert choose(remembered, key, Metadata(8)) == choose(default, key, Metadata(8))


def test_it_remembers_at_most_the_keys_it_is_sized_for() -> None:
    remembered = RememberedPartitions(remembered=100)
    for key in case_keys(1_000):
        choose(remembered, key, Metadata(3))
    assert 0 < len(remembered) <= 100
