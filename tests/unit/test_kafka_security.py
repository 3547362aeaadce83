"""One place decides how Kafka clients authenticate: plaintext locally, SASL over TLS managed."""

from __future__ import annotations

import pytest
from faststream.security import SASLScram512

from sxp_common.kafka_security import KafkaSecurityError, broker_security, client_options
from sxp_common.settings import Settings

pytestmark = pytest.mark.unit


def test_the_local_default_is_plaintext_without_security() -> None:
    settings = Settings(kafka_security_protocol="PLAINTEXT")
    assert broker_security(settings) is None
    assert client_options(settings) == {"security_protocol": "PLAINTEXT"}


def test_a_managed_cluster_gets_sasl_over_verifying_tls() -> None:
    settings = Settings(kafka_security_protocol="sasl_ssl", kafka_sasl_mechanism="SCRAM-SHA-512",
                        kafka_username="doadmin", kafka_password="pw")
    security = broker_security(settings)
    assert isinstance(security, SASLScram512) and security.use_ssl
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "doadmin"
    assert options["ssl_context"].verify_mode.name == "CERT_REQUIRED"


def test_unusable_settings_are_one_clear_error() -> None:
    with pytest.raises(KafkaSecurityError, match="SXP_KAFKA_SECURITY_PROTOCOL"):
        client_options(Settings(kafka_security_protocol="TLS"))
    with pytest.raises(KafkaSecurityError, match="SXP_KAFKA_USERNAME"):
        client_options(Settings(kafka_security_protocol="SASL_SSL"))
    with pytest.raises(KafkaSecurityError, match="SXP_KAFKA_SASL_MECHANISM"):
        client_options(Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="MD5",
                                kafka_username="u"))
