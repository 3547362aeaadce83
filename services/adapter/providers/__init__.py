"""Enrichment providers (Apollo.io bulk match, BatchData skip trace) and the waterfall over them."""

from services.adapter.providers.apollo import (
    ApolloClient,
    apollo_routable,
    apollo_worst_case_credits,
)
from services.adapter.providers.base import Provider
from services.adapter.providers.models import (
    BusinessFields,
    ContactFields,
    PersonQuery,
    ProviderResult,
)
from services.adapter.providers.skiptrace import SkipTraceClient, skiptrace_routable
from services.adapter.providers.waterfall import routable_by_name, run_waterfall

__all__ = [
    "ApolloClient", "BusinessFields", "ContactFields", "PersonQuery", "Provider",
    "ProviderResult", "SkipTraceClient", "apollo_routable", "apollo_worst_case_credits",
    "routable_by_name", "run_waterfall", "skiptrace_routable",
]
