"""`python -m services.audience`: run one audience service instance."""

from services.audience.app import create_app
from sxp_common.service import run_service

if __name__ == "__main__":
    run_service(create_app()[0])
