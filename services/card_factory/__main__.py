"""`python -m services.card_factory`: run one card-factory instance."""

from services.card_factory.app import create_app
from sxp_common.service import run_service

if __name__ == "__main__":
    run_service(create_app()[0])
