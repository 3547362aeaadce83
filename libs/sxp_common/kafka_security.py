"""How every Kafka client of the project authenticates: one place for TLS and SASL.

Local stacks use PLAINTEXT on loopback; managed clusters (App Platform) need SASL over TLS
with the cluster's CA certificate, given as a file path or as PEM text in the environment.
"""

from __future__ import annotations

import ssl
from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from sxp_common.settings import Settings

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class KafkaSecurityError(ValueError):
    """Settings that cannot describe a Kafka connection."""


def _check(settings: Settings) -> tuple[str, str]:
    protocol = settings.kafka_security_protocol.upper()
    mechanism = settings.kafka_sasl_mechanism.upper()
    if protocol not in PROTOCOLS:
        raise KafkaSecurityError("SXP_KAFKA_SECURITY_PROTOCOL must be one of "
                                 f"{', '.join(PROTOCOLS)}, not {protocol!r}")
    if protocol.startswith("SASL") and mechanism not in MECHANISMS:
        raise KafkaSecurityError("SXP_KAFKA_SASL_MECHANISM must be one of "
                                 f"{', '.join(MECHANISMS)}, not {mechanism!r}")
    if protocol.startswith("SASL") and not settings.kafka_username:
        raise KafkaSecurityError(f"{protocol} needs SXP_KAFKA_USERNAME and SXP_KAFKA_PASSWORD")
    return protocol, mechanism


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A verifying TLS context (with the cluster's CA when given), or None without TLS."""
    protocol, _ = _check(settings)
    if protocol not in ("SSL", "SASL_SSL"):
        return None
    context = ssl.create_default_context(
        cafile=str(settings.kafka_ca_file) if settings.kafka_ca_file else None,
        cadata=settings.kafka_ca_cert or None,
    )
    return context


def broker_security(settings: Settings) -> BaseSecurity | None:
    """The FastStream security object for the settings (None for PLAINTEXT)."""
    protocol, mechanism = _check(settings)
    context = ssl_context(settings)
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    kind = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256,
            "SCRAM-SHA-512": SASLScram512}[mechanism]
    return kind(settings.kafka_username, settings.kafka_password, ssl_context=context,
                use_ssl=protocol == "SASL_SSL")


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's consumer and admin clients."""
    protocol, mechanism = _check(settings)
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl_context(settings)
    if protocol.startswith("SASL"):
        options.update(sasl_mechanism=mechanism, sasl_plain_username=settings.kafka_username,
                       sasl_plain_password=settings.kafka_password)
    return options
