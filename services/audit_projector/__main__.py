"""`python -m services.audit_projector`: run one audit projector instance."""

from services.audit_projector.app import create_app
from sxp_common.service import run_service

if __name__ == "__main__":
    run_service(create_app()[0])
