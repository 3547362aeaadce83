"""`python -m services.enrichment_gate`: run one enrichment gate instance."""

from services.enrichment_gate.app import create_app
from sxp_common.service import run_service

if __name__ == "__main__":
    run_service(create_app()[0])
