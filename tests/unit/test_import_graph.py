"""The import graph: no service reaches into another, and libraries stay below the services.

Rules, read off the source with ast (no module is imported):
- services/X never imports services/Y for Y != X: what two services share lives in libs/sxp_common.
- libs/sxp_common and libs/sxp_stack never import a service.
- libs/sxp_cli is a client of the services: of a service it may import only the modules
  named in CLI_MAY_IMPORT (`domain`: the rules; `records`: pure mappings to contract records;
  `version`: the model version), and only while they are pure: they import no I/O client
  (database, Kafka, HTTP, object store) and only other pure modules. Anything else of a
  service (adapters, handlers, planning, reapers) the CLI reaches through the service's
  command topic, and reads the answer through sxp_cli.queries.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
IO_LIBRARIES = frozenset({"asyncpg", "aiokafka", "faststream", "httpx", "boto3", "botocore",
                          "sqlalchemy", "confluent_kafka", "requests", "urllib.request"})
# The service modules the CLI may import, by their last name, when pure.
CLI_MAY_IMPORT = frozenset({"domain", "records", "version"})


def module_name(path: Path) -> str:
    """Dotted module name of a source file under the repository (libs/ is a source root)."""
    rel = path.relative_to(ROOT / "libs" if path.is_relative_to(ROOT / "libs") else ROOT)
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    """Every module of services/ and libs/ by dotted name."""
    files = list((ROOT / "services").rglob("*.py")) + list((ROOT / "libs").rglob("*.py"))
    return {module_name(p): p for p in files}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (lazy imports count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MODULES = source_files()


def known(names: set[str]) -> set[str]:
    """The imported names that are modules of this repository."""
    return {n for n in names if n in MODULES}


def service_of(module: str) -> str | None:
    """`services.labeler.domain` -> `labeler`; None outside services/."""
    parts = module.split(".")
    return parts[1] if parts[0] == "services" and len(parts) > 1 else None


@cache
def is_pure(module: str) -> bool:
    """True when the module and what it imports from the repository touch no I/O client."""
    names = imported_modules(MODULES[module])
    if any(n == lib or n.startswith(lib + ".") for n in names for lib in IO_LIBRARIES):
        return False
    return all(is_pure(dep) for dep in known(names) if dep != module)


def test_no_service_imports_another_service() -> None:
    offences = sorted(
        f"{module} imports {dep}"
        for module, path in MODULES.items() if service_of(module)
        for dep in known(imported_modules(path))
        if service_of(dep) and service_of(dep) != service_of(module)
    )
    assert offences == []


def test_shared_libraries_import_no_service() -> None:
    offences = sorted(
        f"{module} imports {dep}"
        for module, path in MODULES.items() if module.split(".")[0] in ("sxp_common", "sxp_stack")
        for dep in imported_modules(path) if dep == "services" or dep.startswith("services.")
    )
    assert offences == []


def cli_imports() -> dict[str, set[str]]:
    """The modules of this repository each CLI module imports."""
    return {module: known(imported_modules(path))
            for module, path in MODULES.items() if module.startswith("sxp_cli")}


def cli_offences(imports: dict[str, set[str]]) -> list[str]:
    """Every service module the CLI imports against the rule, with why."""
    offences = []
    for module, deps in sorted(imports.items()):
        for dep in sorted(d for d in deps if service_of(d)):
            if dep.rsplit(".", 1)[-1] not in CLI_MAY_IMPORT:
                offences.append(f"{module} imports {dep}: not a domain, records or version module")
            elif not is_pure(dep):
                offences.append(f"{module} imports {dep}: it does I/O")
    return offences


def test_the_cli_imports_only_pure_domain_records_and_version_modules() -> None:
    assert cli_offences(cli_imports()) == []


def test_the_cli_rule_finds_an_adapter_import_and_lets_a_pure_domain_pass() -> None:
    imports = {"sxp_cli.enrich_cmd": {"services.enrichment_gate.adapters",
                                      "services.enrichment_gate.planning",
                                      "services.exporter.domain", "services.labeler.records"}}
    assert cli_offences(imports) == [
        "sxp_cli.enrich_cmd imports services.enrichment_gate.adapters: not a domain, records or "
        "version module",
        "sxp_cli.enrich_cmd imports services.enrichment_gate.planning: not a domain, records or "
        "version module",
    ]


def test_the_purity_check_sees_io() -> None:
    """The rule can fail: modules that talk to the database or Kafka are found impure."""
    assert not is_pure("services.enrichment_gate.adapters")
    assert not is_pure("sxp_common.kafka")
    assert is_pure("services.card_factory.domain")
