"""The offline read-model benchmark feeds each store every event of the synthetic caseload."""

from __future__ import annotations

from pathlib import Path

from adapters.avro import AvroCodec, published_schemas
from adapters.event_store import AvroMapper
from application.bootstrap import READ_MODELS
from application.settings import Settings
from scripts.bench_read_models import PARTITIONS, bare_decode, rebuild_offline, topic_values


def test_each_read_model_is_built_from_every_event_of_the_caseload(tmp_path: Path) -> None:
    partitions = topic_values(12, tmp_path / "store")
    codec = AvroCodec(published_schemas())
    events = sum(map(len, partitions))
    cases = {str(codec.decode(v).record["case_id"]) for values in partitions for v in values}

    assert len(partitions) == PARTITIONS
    assert bare_decode(partitions, codec) == events
    for name in READ_MODELS:
        decoding, applying = rebuild_offline(partitions, name, AvroMapper(codec), tmp_path / name)

        store = READ_MODELS[name].open(Settings(data_dir=tmp_path / name))
        versions = store.applied_versions()
        store.close()
        assert set(versions) == cases, name
        assert sum(versions.values()) == events, name
        assert decoding > 0 and applying > 0
