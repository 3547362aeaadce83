"""Contact-data redaction: every email, phone and messenger form goes; other numbers stay."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from sxp_common.redaction import (
    REDACTION_TOKEN,
    Redacted,
    contains_contact_data,
    redact_fields,
    redact_text,
)

pytestmark = pytest.mark.unit

EMAILS = [
    "jane.doe+news@gmail.com",
    "hello@maria-lopez.co.uk",
    "JANE@GMAIL.COM",
    "kenji_brooks_@outlook.com",
    "josé@correo.mx",
    "name＠site.jp",
    "jane [at] studio [dot] com",
    "jane(at)studio(dot)com",
    "jane at studio dot com",
    "jane @ studio . com",
    "jane AT GMAIL DOT COM",
    "jane {at} gmail {dot} com",
    "jane [at] gmail [.] com",
    "jane [at] gmail.com",
    "hello at gmail.com",
    "maria dot lopez at outlook dot com",
    "sales at acme . io",
    "mailto:team@brand.io",
]

PHONES = [
    "+1 (415) 555-0132",
    "415-555-0132",
    "call 555 123 4567",
    "+44 20 7946 0958",
    "020 7946 0958",
    "+44 7700 900123",
    "07911 123456",
    "0176 12345678",
    "+49 176 12345678",
    "06 12 34 56 78",
    "07.12.34.56.78",
    "612 345 678",
    "+39 333 123 4567",
    "(11) 98765-4321",
    "+52 55 1234 5678",
    "0803 123 4567",
    "+27 82 123 4567",
    "0917-123-4567",
    "+62 812-3456-7890",
    "050 123 4567",
    "+91 98765 43210",
    "९८७६५४३२१०",
    "04 1234 5678",
    "tel:+4930123456",
    "TEL090-1234-5678",
]

MESSENGER = [
    "wa.me/447700900123",
    "https://wa.me/5511987654321?text=hi",
    "https://api.whatsapp.com/send?phone=5511987654321",
    "chat.whatsapp.com/AbCdEfGhIjK",
    "t.me/+AbCdEf123",
    "https://t.me/+15125550199",
    "signal.me/#p/+15125550199",
    "viber://chat?number=%2B4477009001",
]

MESSENGER_NUMBERS = [
    "WhatsApp: +234 803 123 4567",
    "DM on telegram +63 917 123 4567",
    "Viber 0812-3456-7890",
    "nomor WA 0812 3456 7890",
    "Signal +49 151 2345678",
]

NOT_CONTACT = [
    "Founder @acme | building payments since 2015",
    "1.2M followers | 10k views | 3x champ | top 1%",
    "Prices from $4,999 | 45% off | R$ 1.299.000 | Rp 150.000 | ₹ 25,00,000",
    "Born 12/05/1994 · 12.05.2024 · 2024-05-12 · 20240512",
    "Beverly Hills 90210 · ZIP 12345-6789",
    "Serving the city 1990-2020 · open 9.00-17.00",
    "Doors 31/12/2025 14:00 · dates 12.05.2024 / 13.05.2024 · 2024-05-12 10:30 UTC",
    "10 000 000 abonnés · 1.234.567 seguidores · 2.000.000 views",
    "Engineer at stripe.com | PM at Meta.com | Founder @ acme.io",
    "Meet me at the gym · Chef at Nobu . Miami · Live at Wembley. Tickets out",
    "mentions @nike.running and @adidas · me@x",
    "501(c)(3) nonprofit · Sundays at 9 & 11am · Est. 1987",
    "t.me/ournewschannel for daily updates",
    "https://www.facebook.com/profile.php?id=100012345678901",
    "https://youtube.com/@janedoe · https://www.tiktok.com/@jane.doe",
    "ID123456789 · order #A1234567",
]


@pytest.mark.parametrize("email", EMAILS)
def test_plain_and_obfuscated_emails_are_removed_and_flagged(email: str) -> None:
    result = redact_text(f"Bookings: {email} ✨")
    assert result.text == f"Bookings: {REDACTION_TOKEN} ✨"
    assert result.removed == {"email"}


@pytest.mark.parametrize("phone", PHONES)
def test_international_and_local_phone_numbers_are_removed_and_flagged(phone: str) -> None:
    result = redact_text(f"Realtor 🏡 | {phone} | DM me")
    assert REDACTION_TOKEN in result.text
    assert "phone" in result.removed
    assert not contains_contact_data(result.text)
    digits = [c for c in phone if c.isdigit()]
    assert sum(c.isdigit() for c in result.text) < len(digits) / 2


@pytest.mark.parametrize("link", MESSENGER)
def test_messenger_links_are_removed_whole(link: str) -> None:
    result = redact_text(f"Order here 👉 {link} (fast reply)")
    assert result.text == f"Order here 👉 {REDACTION_TOKEN} (fast reply)"
    assert "messenger" in result.removed


@pytest.mark.parametrize("text", MESSENGER_NUMBERS)
def test_numbers_named_as_whatsapp_telegram_signal_or_viber_count_as_messenger(text: str) -> None:
    result = redact_text(text)
    assert result.text.endswith(REDACTION_TOKEN)
    assert result.removed == {"phone", "messenger"}


@pytest.mark.parametrize("text", NOT_CONTACT)
def test_years_counts_prices_dates_zips_handles_and_urls_are_kept(text: str) -> None:
    result = redact_text(text)
    assert result == Redacted(text, frozenset())
    assert not contains_contact_data(text)


def test_tel_and_mailto_links_are_removed_with_their_kinds() -> None:
    result = redact_text("tel:+4930123456 | mailto:me@site.de")
    assert result.text == f"{REDACTION_TOKEN} | {REDACTION_TOKEN}"
    assert result.removed == {"phone", "email"}


def test_a_bio_with_several_kinds_loses_all_of_them_and_keeps_the_rest() -> None:
    bio = "Fitness coach 💪\nbiz: coach.jane@gmail.com\nWhatsApp +44 7911 123456\nsince 2015"
    result = redact_text(bio)
    assert result.text == (
        f"Fitness coach 💪\nbiz: {REDACTION_TOKEN}\nWhatsApp {REDACTION_TOKEN}\nsince 2015"
    )
    assert result.removed == {"email", "phone", "messenger"}


@pytest.mark.parametrize(
    ("bio", "kept"),
    [
        ("Agente inmobiliaria en Madrid 🏡 Contacto: lucia.garcia@hotmail.es", "Madrid"),
        ("Maquiadora 💄 Orçamentos no Zap: (11) 98765-4321", "Maquiadora"),
        ("Coach sportif 💪 Pro : camille(at)orange(dot)fr", "Coach sportif"),
        ("Friseurmeisterin in Köln ✂️ Termine: 0176 12345678", "Köln"),
        ("फिटनेस कोच 💪 संपर्क: ९८७६५ ४३२१०", "फिटनेस कोच"),
        ("Jualan kue kering 🍪 Order via WA 0812-3456-7890", "kue kering"),
        ("料理研究家🍳 お仕事: sakura.sato@yahoo.co.jp", "料理研究家"),
        ("電話090-1234-5678まで", "電話"),
        ("Ricette della nonna 🍝 WhatsApp +39 333 123 4567", "nonna"),
    ],
)
def test_multilingual_bios_lose_contact_data_but_keep_their_words(bio: str, kept: str) -> None:
    result = redact_text(bio)
    assert result.changed and REDACTION_TOKEN in result.text and kept in result.text
    assert not contains_contact_data(result.text)


def test_redacted_text_is_stable_and_clean_when_redacted_again() -> None:
    bio = "jane at gmail dot com or +1 512-555-0199, wa.me/15125550199, 0176 12345678"
    once = redact_text(bio)
    assert redact_text(once.text) == Redacted(once.text, frozenset())


def test_contains_contact_data_agrees_with_the_redactor_on_every_case() -> None:
    cases = EMAILS + PHONES + MESSENGER + MESSENGER_NUMBERS + NOT_CONTACT
    for text in cases:
        assert contains_contact_data(text) == redact_text(text).changed, text


def test_uuids_and_hex_digests_never_look_like_phone_numbers() -> None:
    values = [str(uuid.uuid5(uuid.NAMESPACE_URL, str(i))) for i in range(3000)]
    values += [hashlib.sha256(str(i).encode()).hexdigest() for i in range(3000)]
    values += ["12345678-1234-5123-8123-123456789012", "1234567890123456789012345678901234"]
    assert [v for v in values if contains_contact_data(v)] == []


def test_empty_and_missing_text_redact_to_empty_text() -> None:
    assert redact_text(None) == Redacted("", frozenset())
    assert redact_text("") == Redacted("", frozenset())
    assert not contains_contact_data(None)


def test_redact_fields_redacts_only_the_named_string_fields_and_unions_the_kinds() -> None:
    record = {"bio": "mail me: a@b.io", "location": "☎️ 0176 12345678", "followers": 10,
              "username": "a@b.io", "category": None}
    out, removed = redact_fields(record, ["bio", "location", "followers", "category"])
    assert out == {"bio": f"mail me: {REDACTION_TOKEN}", "location": f"☎️ {REDACTION_TOKEN}",
                   "followers": 10, "username": "a@b.io", "category": None}
    assert removed == {"email", "phone"}
    assert record["bio"] == "mail me: a@b.io"
