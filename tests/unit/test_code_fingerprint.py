"""A service instance is stale when the files it runs changed after it started."""

from __future__ import annotations

from pathlib import Path

import pytest

from sxp_cli.processes import code_fingerprint

pytestmark = pytest.mark.unit


def tree(root: Path) -> Path:
    for name, text in {"services/labeler/domain.py": "A = 1\n",
                       "services/labeler/rules/personas.tsv": "coach\tcoach\n",
                       "libs/sxp_common/kafka.py": "B = 2\n",
                       "contracts/avro/x.avsc": "{}\n",
                       "services/labeler/README.md": "notes\n"}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_fingerprint_is_stable_for_the_same_files(tmp_path: Path) -> None:
    root = tree(tmp_path)
    assert code_fingerprint(root) == code_fingerprint(root)


@pytest.mark.parametrize("changed", ["services/labeler/domain.py",
                                     "services/labeler/rules/personas.tsv",
                                     "libs/sxp_common/kafka.py", "contracts/avro/x.avsc"])
def test_a_change_to_code_rules_or_contracts_changes_it(tmp_path: Path, changed: str) -> None:
    root = tree(tmp_path)
    before = code_fingerprint(root)
    (root / changed).write_text("changed\n")
    assert code_fingerprint(root) != before


def test_a_change_to_docs_or_bytecode_does_not(tmp_path: Path) -> None:
    root = tree(tmp_path)
    before = code_fingerprint(root)
    (root / "services/labeler/README.md").write_text("more notes\n")
    cache = root / "services/labeler/__pycache__"
    cache.mkdir()
    (cache / "domain.cpython-311.pyc").write_bytes(b"\0")
    assert code_fingerprint(root) == before


def test_the_repository_has_a_fingerprint() -> None:
    assert len(code_fingerprint()) == 16
