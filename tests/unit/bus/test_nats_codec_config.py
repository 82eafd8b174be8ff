"""The wire format of events, NATS names derived from consumer names, URLs shown without passwords."""

from __future__ import annotations

import uuid

import pytest

from cxops.core.config import load_settings
from cxops.core.errors import ConfigurationError
from cxops.core.events import Delivered
from cxops.integrations.nats.codec import BadMessage, decode, encode
from cxops.integrations.nats.config import NatsBusConfig, durable_name, safe_url


def test_an_event_survives_the_round_trip() -> None:
    event = Delivered(uuid.uuid4(), "interactions.ended", uuid.uuid4(), {"interaction_ids": ["a"], "n": 1})
    assert decode(encode(event)) == event


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"id": "x", "type": "t"}', "lacks org_id, payload"),
        (b'{"id": "x", "type": "t", "org_id": "y", "payload": {}}', "must be UUIDs"),
        (b'{"id": "x", "type": 3, "org_id": "y", "payload": {}}', "type must be a string"),
    ],
)
def test_a_foreign_message_is_refused_with_the_reason(body: bytes, why: str) -> None:
    with pytest.raises(BadMessage, match=why):
        decode(body)


def test_consumer_names_become_safe_durable_names_and_subjects() -> None:
    config = NatsBusConfig(url="nats://h:4222", stream="S", prefix="cxops")
    assert durable_name("trust.scores v2/*") == "trust_scores_v2__"
    assert config.durable("analytics.daily") == "S_analytics_daily"
    assert config.dlq_subject("analytics.daily") == "cxops.dlq.analytics_daily"
    assert config.event_subject("interactions.ended") == "cxops.events.interactions.ended"


def test_urls_are_shown_without_passwords() -> None:
    assert safe_url("nats://bus:s3cret@n1:4222,nats://n2:4222") == "nats://bus:***@n1:4222,nats://n2:4222"
    assert safe_url("nats://tok3n@n1:4222") == "nats://***@n1:4222"
    assert "s3cret" not in safe_url("postgresql://app:s3cret@db:5432/cxops")


def test_bus_settings_come_from_the_environment_and_bad_values_are_named() -> None:
    env = {"CXOPS_NATS_URL": "nats://n:4222", "CXOPS_NATS_STREAM": "PROD", "CXOPS_NATS_MAX_DELIVER": "7"}
    config = NatsBusConfig.from_settings(load_settings(env))
    assert (config.url, config.stream, config.max_deliver, config.ack_wait_s) == ("nats://n:4222", "PROD", 7, 30.0)
    with pytest.raises(ConfigurationError, match="CXOPS_NATS_STREAM"):
        load_settings({"CXOPS_NATS_STREAM": "bad name.with dots"})
    with pytest.raises(ConfigurationError, match="CXOPS_NATS_MAX_DELIVER"):
        load_settings({"CXOPS_NATS_MAX_DELIVER": "0"})
