"""sxp-api: the product's HTTP API (FastAPI with FastStream's Kafka router, served by uvicorn)."""
