"""An operator's rules directory (SXP_LABELER_RULES_DIR) over the packaged rule tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.labeler.domain import label_card, rulebook_problems
from services.labeler.rulebook import rule_tables, rulebook
from services.labeler.version import model_version, rules_digest
from sxp_cli.processes import service_fingerprint
from sxp_common.settings import Settings

pytestmark = pytest.mark.unit
PACKAGED = Path(__file__).resolve().parents[2] / "services" / "labeler" / "rules"
RESEARCHER = {"platform": "x", "username": "lab_notes", "bio": "Postdoc researcher in ecology",
              "followers": 300}


def researchers_as_partners(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = (PACKAGED / "personas.tsv").read_text(encoding="utf-8")
    (folder / "personas.tsv").write_text(
        text.replace("\nresearcher\tFEEDBACK\t", "\nresearcher\tPARTNER\t"), encoding="utf-8")
    return folder


def test_without_a_directory_the_packaged_tables_and_version_are_used() -> None:
    assert set(rule_tables()) == {p.name for p in PACKAGED.glob("*.tsv")}
    assert rulebook(None) is rulebook()
    assert model_version(None) == model_version()


def test_a_table_named_like_a_packaged_one_replaces_it(tmp_path: Path) -> None:
    rules = researchers_as_partners(tmp_path)
    before, after = label_card(RESEARCHER), label_card(RESEARCHER, rules)
    assert before.persona and before.persona.id == "researcher"
    assert before.execution_label and before.execution_label.id == "FEEDBACK"
    assert after.execution_label and after.execution_label.id == "PARTNER"
    assert (after.persona, after.tribe, after.industry) == (
        before.persona, before.tribe, before.industry)
    assert rule_tables(rules)["personas.tsv"] == rules / "personas.tsv"


def test_the_model_version_names_the_tables_labeling_reads(tmp_path: Path) -> None:
    rules = researchers_as_partners(tmp_path)
    scheme, tables, learned = model_version(rules).split("+")
    assert (scheme, learned) == tuple(model_version().split("+")[::2])
    assert tables == rules_digest(rules) != rules_digest()


def test_a_new_terms_table_adds_its_rows(tmp_path: Path) -> None:
    card = {"platform": "x", "username": "q", "bio": "zorblax wrangler", "followers": 50}
    assert label_card(card).persona is None
    (tmp_path / "terms_local.tsv").write_text(
        "zorblax wrangler\tterm\t1.0\tdeveloper\tstartups_tech\t-\n", encoding="utf-8")
    labels = label_card(card, tmp_path)
    assert labels.persona and labels.persona.id == "developer"
    assert labels.persona.evidence[0] == "bio:zorblax wrangler"


def test_a_file_that_is_no_rule_table_is_refused(tmp_path: Path) -> None:
    (tmp_path / "persona.tsv").write_text("researcher\tPARTNER\t-\t-\tyes\n", encoding="utf-8")
    with pytest.raises(ValueError, match="persona.tsv: not a rule table"):
        rule_tables(tmp_path)
    with pytest.raises(ValueError, match="not a directory"):
        rule_tables(tmp_path / "missing")


def test_ids_outside_the_taxonomy_are_named(tmp_path: Path) -> None:
    assert rulebook_problems(rulebook()) == []
    (tmp_path / "terms_local.tsv").write_text("widget\tterm\t1.0\twizard\t-\t-\n",
                                              encoding="utf-8")
    assert rulebook_problems(rulebook(tmp_path)) == ["'widget': unknown persona 'wizard'"]


def test_only_the_labelers_fingerprint_follows_the_rules_directory(tmp_path: Path) -> None:
    packaged, changed = Settings(), Settings(labeler_rules_dir=researchers_as_partners(tmp_path))
    assert service_fingerprint(packaged, "labeler", "c0de") == "c0de"
    assert service_fingerprint(changed, "labeler", "c0de") == (
        f"c0de+rules.{rules_digest(tmp_path)}")
    assert service_fingerprint(changed, "ingest", "c0de") == "c0de"
