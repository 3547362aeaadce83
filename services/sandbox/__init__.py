"""Local stand-ins for the enrichment providers (Apollo.io, BatchData skip trace)."""

from services.sandbox.server import SANDBOX_API_KEY, SandboxServer, start_in_thread

__all__ = ["SANDBOX_API_KEY", "SandboxServer", "start_in_thread"]
