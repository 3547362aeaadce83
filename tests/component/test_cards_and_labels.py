"""Card factory and labeler in memory: a raw profile becomes a card, a card gets its labels."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from services.card_factory.app import create_app as card_factory
from services.ingest.app import create_app as ingest
from services.labeler.app import create_app as labeler
from sxp_common.hashing import lead_card_id_for
from sxp_common.kafka import Outgoing
from sxp_common.topics import LEADCARDS_LABELED, LEADCARDS_STRUCTURED, PROFILES_RAW
from tests.component.harness import GARBAGE, running
from tests.component.test_ingest import PROFILES_SUBMITTED, outgoing, submission

pytestmark = pytest.mark.component
PACKAGED_RULES = Path(__file__).resolve().parents[2] / "services" / "labeler" / "rules"


async def raw_profile(settings, username: str) -> Outgoing:
    """A stored profile, made by ingest (in memory too), as sxp.profiles.raw.v1 carries it."""
    async with running(ingest, settings, (PROFILES_RAW,)) as service:
        await service.publish(outgoing(PROFILES_SUBMITTED, "k",
                                       submission(uuid.uuid4().hex, "x", username)))
    [record] = service.produced[PROFILES_RAW]
    return Outgoing(PROFILES_RAW, record.key.decode(), record.value)


async def structured_card(settings, username: str) -> Outgoing:
    raw = await raw_profile(settings, username)
    async with running(card_factory, settings, (LEADCARDS_STRUCTURED,)) as service:
        await service.publish(raw)
    [record] = service.produced[LEADCARDS_STRUCTURED]
    return Outgoing(LEADCARDS_STRUCTURED, record.key.decode(), record.value)


async def test_a_raw_profile_becomes_one_structured_card_and_garbage_a_dead_letter(
        component_settings) -> None:
    raw = await raw_profile(component_settings, f"c{uuid.uuid4().hex[:10]}")
    async with running(card_factory, component_settings, (LEADCARDS_STRUCTURED,)) as service:
        await service.publish(raw, Outgoing(PROFILES_RAW, "k", GARBAGE))
        async with service.ctx.db().acquire() as conn:
            readiness = await conn.fetchval(
                "SELECT readiness FROM execution.lead_cards WHERE lead_card_id = $1::uuid",
                lead_card_id_for(raw.key))
    [card] = service.decoded(LEADCARDS_STRUCTURED)
    assert (card["lead_card_id"], card["profile_id"], card["profile_version"]) == (
        lead_card_id_for(raw.key), raw.key, 1)
    assert readiness == "STRUCTURED"
    assert [(d["service"], d["reason_code"]) for d in service.dead_letters()] == [
        ("card_factory", "not_avro")]


async def test_a_structured_card_is_labeled_and_announced(component_settings) -> None:
    card = await structured_card(component_settings, f"c{uuid.uuid4().hex[:10]}")
    async with running(labeler, component_settings, (LEADCARDS_LABELED,)) as service:
        await service.publish(card, Outgoing(LEADCARDS_STRUCTURED, "k", b""))
        async with service.ctx.db().acquire() as conn:
            stored = await conn.fetchrow(
                "SELECT labeled_profile_version, persona, tribe FROM execution.lead_cards"
                " WHERE lead_card_id = $1::uuid", card.key)
    [labeled] = service.decoded(LEADCARDS_LABELED)
    assert labeled["lead_card_id"] == card.key and labeled["profile_version"] == 1
    assert stored["labeled_profile_version"] == 1
    assert (stored["persona"], stored["tribe"]) == (
        (labeled["persona"] or {}).get("id"), (labeled["tribe"] or {}).get("id"))
    assert [(d["service"], d["reason_code"]) for d in service.dead_letters()] == [
        ("labeler", "empty_value")]


def creators_as_users(folder) -> None:
    """An operator's rules directory: personas.tsv with creators routed as USER."""
    packaged = (PACKAGED_RULES / "personas.tsv").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "personas.tsv").write_text(
        packaged.replace("\ncreator\tAFFILIATE\t", "\ncreator\tUSER\t"), encoding="utf-8")


async def _label_once(settings, card: Outgoing) -> tuple[list[dict], dict]:
    async with running(labeler, settings, (LEADCARDS_LABELED,)) as service:
        await service.publish(card)
        async with service.ctx.db().acquire() as conn:
            stored = await conn.fetchrow(
                "SELECT execution_label, revision, labeled_at,"
                " label_evidence->>'model_version' AS version FROM execution.lead_cards"
                " WHERE lead_card_id = $1::uuid", card.key)
    return service.decoded(LEADCARDS_LABELED), dict(stored)


async def test_a_card_is_written_and_announced_again_only_when_its_labels_change(
        component_settings, tmp_path) -> None:
    card = await structured_card(component_settings, f"c{uuid.uuid4().hex[:10]}")
    [first], labeled = await _label_once(component_settings, card)
    assert first["persona"]["id"] == "creator" and labeled["execution_label"] == "AFFILIATE"
    again, same = await _label_once(component_settings, card)  # a redelivery, a plain replay
    assert again == [] and same == labeled
    creators_as_users(tmp_path / "rules")
    changed_rules = component_settings.model_copy(
        update={"labeler_rules_dir": tmp_path / "rules"})
    [moved], relabeled = await _label_once(changed_rules, card)
    assert moved["execution_label"]["id"] == relabeled["execution_label"] == "USER"
    assert relabeled["revision"] == labeled["revision"] + 1
    assert relabeled["version"] != labeled["version"]
    assert (await _label_once(changed_rules, card))[0] == []
