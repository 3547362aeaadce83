"""`python -m sxp_common.bootstrap`: prepare any environment for the services.

Runs the database migrations (roles included) and creates the Kafka topics.
The local stack calls the same functions; docker-compose and App Platform run
this module once before the workers start.
"""

from __future__ import annotations

import asyncio
import sys

from sxp_common.db import redact_url
from sxp_common.migrations import upgrade_database
from sxp_common.settings import Settings
from sxp_common.topics import ensure_topics


def bootstrap(settings: Settings) -> str:
    """Migrate the database and create missing topics; return a one-line summary."""
    version = upgrade_database(settings.database_url, settings.db_service_password)
    created = asyncio.run(ensure_topics(settings))
    return (
        f"database {redact_url(settings.database_url)} at schema {version}; "
        f"{len(created)} topic(s) created on {settings.kafka_bootstrap}"
    )


def main() -> None:
    """Entry point with a one-line error instead of a traceback."""
    try:
        print(bootstrap(Settings()))
    except Exception as exc:  # noqa: BLE001 - the operator needs one line, not a stack
        print(f"bootstrap failed: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
