"""`python -m services.api`: serve the API with uvicorn on SXP_API_HOST:SXP_API_PORT."""

import uvicorn

from services.api.app import create_app
from sxp_common.settings import get_settings

if __name__ == "__main__":
    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port,
                log_level="warning", timeout_graceful_shutdown=30, proxy_headers=False)
