"""Sealing, pseudonyms, PINs and E.164 normalisation."""

from __future__ import annotations

import random
from typing import Any

import phonenumbers
import pytest
from cryptography.fernet import Fernet

from shared.privacy import (
    ConfigurationError,
    KeyNotHeld,
    Keys,
    UnsealError,
    load_keys,
    normalise_e164,
    pin_for,
    pin_hash,
    reporter_key,
    reseal,
    seal,
    unseal,
)
from tests.conftest import make_settings
from tests.fakes import WORKER_PHONE


def test_seal_round_trip_hides_the_contact(keys: Keys) -> None:
    sealed = seal(keys, WORKER_PHONE)
    assert WORKER_PHONE not in sealed
    assert WORKER_PHONE.lstrip("+") not in sealed
    assert unseal(keys, sealed) == WORKER_PHONE


def test_sealing_twice_gives_different_ciphertexts(keys: Keys) -> None:
    assert seal(keys, WORKER_PHONE) != seal(keys, WORKER_PHONE)


def test_unseal_rejects_tampering_and_foreign_keys(keys: Keys) -> None:
    sealed = seal(keys, WORKER_PHONE)
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(UnsealError):
        unseal(keys, tampered)
    other = load_keys(make_settings(contact_key=Fernet.generate_key().decode()))
    with pytest.raises(UnsealError):
        unseal(other, sealed)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "+8613912345678"),
        ("139 1234 5678", "+8613912345678"),
        ("+86 139-1234-5678", "+8613912345678"),
        ("008613912345678", "+8613912345678"),
        ("+447700900123", "+447700900123"),
        ("12", None),
        ("not a number", None),
        ("", None),
    ],
)
def test_normalise_e164(raw: Any, expected: Any) -> None:
    assert normalise_e164(raw, "CN") == expected


def phonenumbers_e164(raw: str) -> str | None:
    """What the phonenumbers library itself makes of an international number."""
    number = phonenumbers.parse(raw, None)
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_chinese_mobile_numbers_in_e164_are_kept_exactly_as_phonenumbers_keeps_them() -> None:
    chance = random.Random(86)
    for prefix in range(13000, 20000):  # every five-digit prefix of a mobile number, 130.. to 199..
        for _ in range(2):
            number = f"+86{prefix}{chance.randrange(10**6):06d}"
            assert normalise_e164(number) == number == phonenumbers_e164(number)


@pytest.mark.parametrize(
    "raw",
    [
        "+86 139 1234 5678",  # spaced
        "+86１３９１２３４５６７８",  # full-width digits
        "+8612912345678",  # not a mobile prefix
        "+86139123456789",  # a digit too many
        "+861391234567",  # a digit too few
    ],
)
def test_other_spellings_still_go_through_phonenumbers(raw: str) -> None:
    assert normalise_e164(raw) == phonenumbers_e164(raw)


def test_reporter_key_is_stable_for_one_number_and_differs_between_numbers(keys: Keys) -> None:
    a = normalise_e164("139 1234 5678")
    b = normalise_e164("+8613912345678")
    assert a is not None and b is not None
    assert reporter_key(keys, a) == reporter_key(keys, b)
    assert reporter_key(keys, a) != reporter_key(keys, "+8613587654321")
    assert "13912345678" not in reporter_key(keys, a)


def test_reporter_key_depends_on_the_secret(keys: Keys) -> None:
    other = load_keys(make_settings(pseudonym_key="another-pseudonym-key-000"))
    assert reporter_key(keys, WORKER_PHONE) != reporter_key(other, WORKER_PHONE)


def test_pin_is_ten_digits_and_stable_per_grievance(keys: Keys) -> None:
    pin = pin_for(keys, "g-1")
    assert len(pin) == 10 and pin.isdigit()
    assert pin_for(keys, "g-1") == pin
    assert len({pin_for(keys, f"g-{i}") for i in range(50)}) > 40
    assert pin_hash(keys, "ABCDE-FGHJK", pin) != pin_hash(
        keys, "ABCDE-FGHJK", "000000" if pin != "000000" else "1"
    )


def test_keys_are_required_unless_generating_them_is_allowed() -> None:
    with pytest.raises(ConfigurationError, match="GRIEVANCE_CONTACT_KEY"):
        load_keys(make_settings(contact_key=None))
    with pytest.raises(ConfigurationError, match="GRIEVANCE_PSEUDONYM_KEY"):
        load_keys(make_settings(pseudonym_key=None))
    with pytest.raises(ConfigurationError, match="not a Fernet key"):
        load_keys(make_settings(contact_key="not-a-fernet-key"))
    with pytest.raises(ConfigurationError, match="GRIEVANCE_CONTACT_KEY_PREVIOUS"):
        load_keys(make_settings(contact_key_previous="not-a-fernet-key"))


def test_generated_keys_work_for_the_process() -> None:
    keys = load_keys(make_settings(contact_key=None, pseudonym_key=None), generate=True)
    assert unseal(keys, seal(keys, "x")) == "x"
    assert len(keys.pseudonym) >= 32


def test_a_service_holds_only_the_keys_it_is_given(keys: Keys) -> None:
    router = load_keys(make_settings(), contact=False)
    assert not router.holds_contact and router.pseudonym == keys.pseudonym
    sealed = seal(keys, WORKER_PHONE)
    with pytest.raises(KeyNotHeld):
        unseal(router, sealed)
    with pytest.raises(KeyNotHeld):
        seal(router, WORKER_PHONE)
    assert pin_hash(router, "ABCDE-FGHJK", "123456") == pin_hash(keys, "ABCDE-FGHJK", "123456")
    nothing = keys.only(contact=False, pseudonym=False)
    with pytest.raises(KeyNotHeld):
        reporter_key(nothing, WORKER_PHONE)
    with pytest.raises(KeyNotHeld):
        unseal(nothing, sealed)


def test_the_current_key_seals_and_every_key_unseals() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = load_keys(make_settings(contact_key=old))
    after = load_keys(make_settings(contact_key=new, contact_key_previous=old))
    sealed_before = seal(before, WORKER_PHONE)
    assert unseal(after, sealed_before) == WORKER_PHONE
    sealed_after = seal(after, WORKER_PHONE)
    with pytest.raises(UnsealError):
        unseal(before, sealed_after)  # sealed with the new key, which the old set does not hold
    assert unseal(load_keys(make_settings(contact_key=new)), sealed_after) == WORKER_PHONE


def test_reseal_moves_a_contact_to_the_current_key_once() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = load_keys(make_settings(contact_key=old))
    after = load_keys(make_settings(contact_key=new, contact_key_previous=old))
    only_new = load_keys(make_settings(contact_key=new))
    fresh = reseal(after, seal(before, WORKER_PHONE))
    assert fresh is not None and unseal(only_new, fresh) == WORKER_PHONE
    assert reseal(after, fresh) is None  # already current: nothing to write
    with pytest.raises(UnsealError):
        reseal(only_new, seal(before, WORKER_PHONE))  # the old key is gone: no key opens it
