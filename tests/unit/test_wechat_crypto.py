"""WeChat signatures and safe-mode crypto against the vectors WeChat, WeCom and wechatpy publish.

Every golden value below comes from a published source (named at each constant); none was computed
by this code. The negative tests build ciphertexts by hand with raw AES so each rejection rule is
exercised on its own.
"""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from services.intake.channels.wechat_crypto import (
    DecryptionFailed,
    SafeMode,
    SignatureMismatch,
    WrongAppId,
    aes_key,
    check_url_signature,
    decrypt,
    encrypt,
    msg_signature,
    url_signature,
)
from services.intake.channels.wechat_messages import TextMessage, parse_envelope, parse_message, xml_fields

# V1. WeChat's message-encryption guide, JSON data-format example ("Token AAAAA"):
# https://developers.weixin.qq.com/doc/oplatform/developers/dev/push/encryption.md
V1_TOKEN, V1_TIMESTAMP, V1_NONCE = "AAAAA", "1714037059", "486452656"
V1_SIGNATURE = "899cf89e464efb63f54ddac96b0a0a235f53aa78"

# V2. WeChat's own WXBizMsgCrypt Python sample (Official Account, compatible mode): the body holds the
# plaintext fields and the same message encrypted. Copy read at charlesXu86/Chatbot_CN
# Chatbot_Web/impl/weixin/Sample.py (the unmodified Tencent sample by jonyqin).
V2_TOKEN, V2_KEY, V2_APPID = "spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2"
V2_TIMESTAMP, V2_NONCE, V2_SIGNATURE = "1409735669", "1320562132", "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
V2_BODY = (
    b"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]>"
    b"</FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]>"
    b"</Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655"
    b"HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWN"
    b"lZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCO"
    b"p3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5"
    b"MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>"
)

# V3. WeCom's encryption-scheme page (加解密方案说明, "举例说明"): the worked POST example and the XML it
# decrypts to; the same request is in WeCom's C# sample (Tencent.WXBizMsgCrypt, Sample.cs).
V3_TOKEN, V3_KEY, V3_CORP = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
V3_TIMESTAMP, V3_NONCE, V3_SIGNATURE = "1409659813", "1372623149", "477715d11cdb4164915debcba66cb864d751f3e6"
V3_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TU"
    "UkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0"
    "ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMN"
    "S0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pD"
    "BS8R07+qN+E7Q=="
)

# V4. WeCom's URL-verification sample (sbzhu/weworkapi_python callback_python3/Sample.py, WeCom's own
# repository): the echostr's msg_signature; its plaintext as WeCom client libraries assert it.
V4_TIMESTAMP, V4_NONCE, V4_SIGNATURE = "1409659589", "263014780", "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
V4_ECHOSTR = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
V4_PLAINTEXT = b"1616140317555161061"

# V5. wechatpy tests/test_crypto.py (WeCom): an encryption with the random prefix fixed to
# "1234567890123456", byte for byte, plus a decryption and an echostr check.
V5_TOKEN, V5_KEY, V5_CORP = "123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"
V5_REPLY = (
    b"<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
    b"<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n"
    b"<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>"
)
V5_EXPECTED_REPLY = (
    "<xml>\n<Encrypt><![CDATA[9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcB"
    "qGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIX"
    "rx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn"
    "1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3]]></Encrypt>\n"
    "<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>\n"
    "<TimeStamp>1411525903</TimeStamp>\n<Nonce><![CDATA[461056294]]></Nonce>\n</xml>"
)
V5_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJR"
    "vZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtD"
    "h1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGh"
    "cUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
V5_ECHOSTR = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="


def test_v1_url_signature() -> None:
    assert url_signature(V1_TOKEN, V1_TIMESTAMP, V1_NONCE) == V1_SIGNATURE
    assert check_url_signature(V1_TOKEN, V1_TIMESTAMP, V1_NONCE, V1_SIGNATURE)
    assert not check_url_signature(V1_TOKEN, V1_TIMESTAMP, "486452657", V1_SIGNATURE)
    assert not check_url_signature(V1_TOKEN, V1_TIMESTAMP, V1_NONCE, V1_SIGNATURE.upper())
    assert not check_url_signature(V1_TOKEN, V1_TIMESTAMP, V1_NONCE, None)


def test_v2_official_account_sample_decrypts_to_its_plaintext_twin() -> None:
    envelope = parse_envelope(V2_BODY)
    assert msg_signature(V2_TOKEN, V2_TIMESTAMP, V2_NONCE, envelope.encrypt) == V2_SIGNATURE
    safe = SafeMode(V2_TOKEN, V2_APPID, V2_KEY)
    decrypted = safe.decrypt(
        timestamp=V2_TIMESTAMP, nonce=V2_NONCE, encrypt=envelope.encrypt, signature=V2_SIGNATURE
    )
    assert decrypted.key == "current"
    inner = xml_fields(decrypted.message)
    outer = {k: v for k, v in xml_fields(V2_BODY).items() if k != "Encrypt"}
    assert inner == outer  # compatible mode: the ciphertext is the same message as the plaintext fields


def test_v3_wecom_documented_message() -> None:
    assert msg_signature(V3_TOKEN, V3_TIMESTAMP, V3_NONCE, V3_ENCRYPT) == V3_SIGNATURE
    safe = SafeMode(V3_TOKEN, V3_CORP, V3_KEY)
    message = parse_message(
        safe.decrypt(
            timestamp=V3_TIMESTAMP, nonce=V3_NONCE, encrypt=V3_ENCRYPT, signature=V3_SIGNATURE
        ).message
    )
    assert isinstance(message, TextMessage)
    assert (message.to_user, message.from_user, message.create_time) == (V3_CORP, "mycreate", 1409659813)
    assert message.content == "hello"
    assert message.msg_id == 4561255354251345929
    assert xml_fields(decrypt(aes_key(V3_KEY), V3_CORP, V3_ENCRYPT))["AgentID"] == "218"


def test_v4_wecom_url_verification_echostr() -> None:
    safe = SafeMode(V3_TOKEN, V3_CORP, V3_KEY)
    echoed = safe.decrypt(timestamp=V4_TIMESTAMP, nonce=V4_NONCE, encrypt=V4_ECHOSTR, signature=V4_SIGNATURE)
    assert echoed.message == V4_PLAINTEXT


def test_v5_wechatpy_encryption_is_byte_exact() -> None:
    safe = SafeMode(V5_TOKEN, V5_CORP, V5_KEY)
    reply = safe.encrypt_reply(
        V5_REPLY, timestamp="1411525903", nonce="461056294", random16=b"1234567890123456"
    )
    assert reply == V5_EXPECTED_REPLY


def test_v5_wechatpy_decryption_and_echostr() -> None:
    safe = SafeMode(V5_TOKEN, V5_CORP, V5_KEY)
    message = parse_message(
        safe.decrypt(
            timestamp="1411525903",
            nonce="461056294",
            encrypt=V5_ENCRYPT,
            signature="74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
        ).message
    )
    assert isinstance(message, TextMessage)
    assert (message.from_user, message.content) == ("messense", "test")
    safe.decrypt(
        timestamp="1411443780",
        nonce="437374425",
        encrypt=V5_ECHOSTR,
        signature="dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
    )
    with pytest.raises(SignatureMismatch):  # wechatpy's failing case: the nonce changed by one
        safe.decrypt(
            timestamp="1411443780",
            nonce="437374424",
            encrypt=V5_ECHOSTR,
            signature="dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
        )


def test_signature_is_checked_before_anything_is_decrypted() -> None:
    safe = SafeMode(V3_TOKEN, V3_CORP, V3_KEY)
    for signature in (None, "", V3_SIGNATURE[:-1] + "0", V3_SIGNATURE.upper()):
        with pytest.raises(SignatureMismatch):
            safe.decrypt(timestamp=V3_TIMESTAMP, nonce=V3_NONCE, encrypt=V3_ENCRYPT, signature=signature)
    with pytest.raises(SignatureMismatch):  # a tampered ciphertext no longer matches its signature
        safe.decrypt(
            timestamp=V3_TIMESTAMP, nonce=V3_NONCE, encrypt="A" + V3_ENCRYPT[1:], signature=V3_SIGNATURE
        )


def test_wrong_app_id_is_refused() -> None:
    with pytest.raises(WrongAppId):
        decrypt(aes_key(V3_KEY), "wx5823bf96d3bd56c8", V3_ENCRYPT)
    with pytest.raises(WrongAppId):
        decrypt(aes_key(V3_KEY), "", V3_ENCRYPT)


def _raw_ciphertext(key: bytes, plain: bytes) -> str:
    """AES-256-CBC with WeChat's IV and no padding added: the test decides every byte."""
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


KEY = aes_key(V3_KEY)
BODY = b"16 random bytes!" + struct.pack(">I", 5) + b"hello" + b"wx5823bf96d3bd56c7"  # 43 bytes


@pytest.mark.parametrize(
    "tail",
    [
        bytes([0]) * 21,  # pad 0
        bytes([21]) * 20 + bytes([33]),  # pad 33 > 32
        bytes([200]) * 21,  # far outside 1..32
        bytes([20]) * 20 + bytes([21]),  # pad 21 but the pad bytes disagree
    ],
    ids=["pad 0", "pad 33", "pad 200", "unequal pad bytes"],
)
def test_bad_padding_is_refused(tail: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        decrypt(KEY, V3_CORP, _raw_ciphertext(KEY, BODY + tail))


def test_well_formed_padding_of_a_full_block_is_accepted() -> None:
    plain = BODY + bytes([21]) * 21
    assert decrypt(KEY, V3_CORP, _raw_ciphertext(KEY, plain)) == b"hello"
    aligned = b"0123456789abcdef" + struct.pack(">I", 10) + b"0123456789" + b"x" * 34  # 64 bytes
    assert decrypt(KEY, "x" * 34, _raw_ciphertext(KEY, aligned + bytes([32]) * 32)) == b"0123456789"


def test_length_running_past_the_end_is_refused() -> None:
    plain = b"16 random bytes!" + struct.pack(">I", 44) + b"hello" + b"wx5823bf96d3bd56c7"
    with pytest.raises(DecryptionFailed):
        decrypt(KEY, V3_CORP, _raw_ciphertext(KEY, plain + bytes([21]) * 21))
    short = b"too short" + bytes([23]) * 23
    with pytest.raises(DecryptionFailed):
        decrypt(KEY, V3_CORP, _raw_ciphertext(KEY, short))


@pytest.mark.parametrize(
    "ciphertext",
    [
        "",
        "not base64!",
        base64.b64encode(b"x" * 16).decode(),
        base64.b64encode(b"x" * 48).decode(),
        "QUJD\nREVG",
    ],
)
def test_ciphertext_that_is_not_whole_blocks_of_base64_is_refused(ciphertext: str) -> None:
    with pytest.raises(DecryptionFailed):
        decrypt(KEY, V3_CORP, ciphertext)


PREVIOUS = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CURRENT = V3_KEY


def test_rotation_tries_the_current_key_then_the_previous_one() -> None:
    safe = SafeMode(V3_TOKEN, V3_CORP, CURRENT, PREVIOUS)
    for name, key in (("current", CURRENT), ("previous", PREVIOUS)):
        ciphertext = encrypt(aes_key(key), V3_CORP, b"<xml/>")
        signature = msg_signature(V3_TOKEN, "1", "2", ciphertext)
        opened = safe.decrypt(timestamp="1", nonce="2", encrypt=ciphertext, signature=signature)
        assert (opened.message, opened.key) == (b"<xml/>", name)


def test_a_key_that_is_neither_is_refused_with_the_current_keys_error() -> None:
    other = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg"
    ciphertext = encrypt(aes_key(other), V3_CORP, b"<xml/>")
    signature = msg_signature(V3_TOKEN, "1", "2", ciphertext)
    with pytest.raises((DecryptionFailed, WrongAppId)):
        SafeMode(V3_TOKEN, V3_CORP, CURRENT, PREVIOUS).decrypt(
            timestamp="1", nonce="2", encrypt=ciphertext, signature=signature
        )
    # Without a previous key, the previous key's messages are refused.
    previous_message = encrypt(aes_key(PREVIOUS), V3_CORP, b"<xml/>")
    with pytest.raises((DecryptionFailed, WrongAppId)):
        SafeMode(V3_TOKEN, V3_CORP, CURRENT).decrypt(
            timestamp="1",
            nonce="2",
            encrypt=previous_message,
            signature=msg_signature(V3_TOKEN, "1", "2", previous_message),
        )


def test_the_reply_uses_the_key_that_opened_the_request() -> None:
    safe = SafeMode(V3_TOKEN, V3_CORP, CURRENT, PREVIOUS)
    reply = safe.encrypt_reply(
        b"<xml>reply</xml>", timestamp="1409659813", nonce="1372623149", key="previous"
    )
    fields = xml_fields(reply.encode())
    assert fields["MsgSignature"] == msg_signature(V3_TOKEN, "1409659813", "1372623149", fields["Encrypt"])
    assert decrypt(aes_key(PREVIOUS), V3_CORP, fields["Encrypt"]) == b"<xml>reply</xml>"
    with pytest.raises((DecryptionFailed, WrongAppId)):  # the current key does not open it
        decrypt(aes_key(CURRENT), V3_CORP, fields["Encrypt"])


@pytest.mark.parametrize("nonce", ["12<3", "abc", "1 2", "１２"])
def test_reply_refuses_a_nonce_that_could_inject_xml(nonce: str) -> None:
    with pytest.raises(ValueError):
        SafeMode(V3_TOKEN, V3_CORP, CURRENT).encrypt_reply(b"x", timestamp="1", nonce=nonce)


@pytest.mark.parametrize("key", ["", "a" * 42, "a" * 44, "a" * 42 + "+", "a" * 42 + "="])
def test_encoding_aes_key_must_be_43_alphanumerics(key: str) -> None:
    with pytest.raises(ValueError):
        aes_key(key)


@given(
    message=st.binary(max_size=300), app_id=st.text(max_size=40), prefix=st.binary(min_size=16, max_size=16)
)
def test_encrypt_then_decrypt_round_trips(message: bytes, app_id: str, prefix: bytes) -> None:
    ciphertext = encrypt(KEY, app_id, message, prefix)
    assert len(base64.b64decode(ciphertext)) % 32 == 0
    assert decrypt(KEY, app_id, ciphertext) == message
