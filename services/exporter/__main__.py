"""`python -m services.exporter`: run one exporter instance."""

from services.exporter.app import create_app
from sxp_common.service import run_service

if __name__ == "__main__":
    run_service(create_app()[0])
