"""Masked contact values: recognisable in a log, never usable, never flagged as contact data."""

from __future__ import annotations

import re

import pytest

from sxp_common.masking import fingerprint, mask_email, mask_phone
from sxp_common.redaction import contains_contact_data

pytestmark = pytest.mark.unit


def test_an_email_keeps_only_first_letters_and_the_top_level_domain() -> None:
    assert mask_email("ana.lopez@acme.com") == "a***@a***.com"


def test_a_multi_label_domain_keeps_only_its_last_label() -> None:
    assert mask_email("Jo@mail.example.co.uk") == "J***@m***.uk"


@pytest.mark.parametrize("value", ["not-an-email", "@acme.com", "ana@"])
def test_a_malformed_email_masks_to_stars_only(value: str) -> None:
    assert mask_email(value) == "***"


def test_an_email_without_a_dot_in_the_domain_hides_the_domain() -> None:
    assert mask_email("root@localhost") == "r***@***"


@pytest.mark.parametrize("value", [None, ""])
def test_no_value_masks_to_an_empty_string(value: str | None) -> None:
    assert mask_email(value) == ""
    assert mask_phone(value) == ""


def test_a_phone_keeps_only_its_last_four_digits() -> None:
    assert mask_phone("+1 512 555 0142") == "***0142"
    assert mask_phone("(512) 555-0199") == "***0199"


def test_a_number_too_short_to_be_a_phone_shows_no_digits() -> None:
    assert mask_phone("0142") == "***"


def test_a_fingerprint_is_sha256_prefixed_with_twelve_hex_characters() -> None:
    assert re.fullmatch(r"sha256:[0-9a-f]{12}", fingerprint("ana.lopez@acme.com"))


def test_a_fingerprint_ignores_case_and_surrounding_space() -> None:
    assert fingerprint("  Ana.Lopez@ACME.com ") == fingerprint("ana.lopez@acme.com")


def test_different_values_have_different_fingerprints() -> None:
    assert fingerprint("ana.lopez@acme.com") != fingerprint("ana.lopes@acme.com")


def test_masked_values_are_not_contact_data_any_more() -> None:
    line = (
        f"match email={mask_email('ana.lopez@acme.com')} phone={mask_phone('+1 512 555 0142')}"
        f" fp={fingerprint('ana.lopez@acme.com')}"
    )
    assert not contains_contact_data(line)
    assert contains_contact_data("match email=ana.lopez@acme.com phone=+1 512 555 0142")
