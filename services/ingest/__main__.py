"""`python -m services.ingest`: run one ingest instance."""

from services.ingest.app import create_app
from sxp_common.service import run_service

if __name__ == "__main__":
    run_service(create_app()[0])
