"""E-mail notifications through a real SMTP server on loopback (aiosmtpd): plain, STARTTLS, implicit TLS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from services.notify.errors import PermanentNotifyError, TransientNotifyError
from services.notify.model import Notification, Recipient
from services.notify.render import RenderContext, render
from services.notify.settings import NotifySettings
from services.notify.smtp import Smtp
from shared.messaging import Retry
from tests.providers.notify_servers import FakeSmtp, TlsFiles, make_tls_files

FAST = Retry(attempts=3, base=0.01, cap=0.02)
CONTEXT = RenderContext(committee_console_url="https://router.example.org/console/cases/{reference}")
SENDER = "notify@grievance.example.org"
ADDRESSES = ["spt@factory.example.cn", "chair@factory.example.cn"]


def notification(addresses: list[str] = ADDRESSES, **notify: Any) -> Notification:
    recipient = Recipient(kind="committee", id="gz-001-spt", notify={"email": addresses, **notify})
    return Notification.build(
        "deadline_soon",
        reference="K7M3P-9QXA2",
        category="working_hours",
        deadline=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        recipient=recipient,
    )


def mailer(server: FakeSmtp, **settings: Any) -> Smtp:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port,
        "smtp_security": server.security,
        "smtp_from": SENDER,
        "notify_timeout": 2.0,
    }
    values.update(settings)
    return Smtp(NotifySettings(**values), context=CONTEXT, retry=FAST)


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return make_tls_files(tmp_path)


@pytest.fixture
async def plain() -> AsyncIterator[FakeSmtp]:
    async with FakeSmtp("plain") as server:
        yield server


async def test_plain_relay_on_loopback_delivers(plain: FakeSmtp) -> None:
    n = notification()
    await mailer(plain).send(n)
    [mail] = plain.received
    assert mail.sender == SENDER and mail.recipients == ADDRESSES
    rendered = render(n, CONTEXT)
    assert mail.message["Subject"] == rendered.title
    assert mail.message["Auto-Submitted"] == "auto-generated"
    # As it came over the wire: SMTP lines end in CRLF.
    assert mail.message.get_content().replace("\r\n", "\n").strip() == rendered.text()
    assert "https://router.example.org/console/cases/K7M3P-9QXA2" in mail.message.get_content()


async def test_starttls_with_login_delivers(tls: TlsFiles) -> None:
    async with FakeSmtp("starttls", tls=tls, users={"notify": "s3cret-pass"}) as server:
        await mailer(
            server, smtp_cafile=str(tls.cert), smtp_username="notify", smtp_password="s3cret-pass"
        ).send(notification())
    assert server.logins == ["notify"]
    assert len(server.received) == 1


async def test_implicit_tls_delivers(tls: TlsFiles) -> None:
    async with FakeSmtp("tls", tls=tls, users={"notify": "s3cret-pass"}) as server:
        await mailer(
            server, smtp_cafile=str(tls.cert), smtp_username="notify", smtp_password="s3cret-pass"
        ).send(notification())
    assert server.logins == ["notify"] and len(server.received) == 1


async def test_starttls_is_required_before_mail(tls: TlsFiles) -> None:
    """A server that insists on STARTTLS refuses a client that skipped it: we never skip it."""
    async with FakeSmtp("starttls", tls=tls) as server:
        await mailer(server, smtp_cafile=str(tls.cert)).send(notification())
        assert len(server.received) == 1


async def test_no_fallback_to_plain_text_when_starttls_is_missing(plain: FakeSmtp) -> None:
    with pytest.raises(PermanentNotifyError) as caught:
        await mailer(plain, smtp_security="starttls").send(notification())
    assert caught.value.code == "email_starttls_unsupported"
    assert plain.received == []


async def test_no_login_over_a_server_without_auth(tls: TlsFiles) -> None:
    async with FakeSmtp("starttls", tls=tls) as server:
        with pytest.raises(PermanentNotifyError, match="email_auth_unsupported"):
            await mailer(server, smtp_cafile=str(tls.cert), smtp_username="notify", smtp_password="pw").send(
                notification()
            )
        assert server.received == []


async def test_an_untrusted_certificate_is_refused(tls: TlsFiles) -> None:
    async with FakeSmtp("starttls", tls=tls) as server:
        with pytest.raises(TransientNotifyError):
            await mailer(server).send(notification())  # the system's CAs do not know this certificate
        assert server.received == []


async def test_wrong_password_is_permanent(tls: TlsFiles) -> None:
    async with FakeSmtp("starttls", tls=tls, users={"notify": "s3cret-pass"}) as server:
        with pytest.raises(PermanentNotifyError) as caught:
            await mailer(
                server, smtp_cafile=str(tls.cert), smtp_username="notify", smtp_password="wrong"
            ).send(notification())
    assert caught.value.code == "email_authenticationerror_535"
    assert server.received == []


async def test_every_address_refused_for_good_is_permanent(plain: FakeSmtp) -> None:
    plain.script.rcpt = dict.fromkeys(ADDRESSES, "550 5.1.1 No such user")
    with pytest.raises(PermanentNotifyError, match="email_recipients_refused"):
        await mailer(plain).send(notification())


async def test_a_deferred_address_is_transient_and_retried(plain: FakeSmtp) -> None:
    plain.script.rcpt = {ADDRESSES[0]: "451 4.3.0 Try again later", ADDRESSES[1]: "550 5.1.1 No such user"}
    with pytest.raises(TransientNotifyError, match="email_recipients_deferred"):
        await mailer(plain).send(notification())
    assert plain.received == []


async def test_some_addresses_refused_is_delivered_once(plain: FakeSmtp) -> None:
    plain.script.rcpt = {ADDRESSES[1]: "550 5.1.1 No such user"}
    with capture_logs() as logs:
        await mailer(plain).send(notification())
    [mail] = plain.received
    assert mail.recipients == [ADDRESSES[0]]
    [warning] = [entry for entry in logs if entry["event"] == "notification_email_partly_refused"]
    assert (warning["refused"], warning["accepted"]) == (1, 1)
    assert not any(address in str(logs) for address in ADDRESSES)


async def test_data_deferred_is_retried_and_bounded(plain: FakeSmtp) -> None:
    plain.script.data = ["452 4.3.1 Insufficient system storage"] * 5
    with pytest.raises(TransientNotifyError, match="email_dataerror_452"):
        await mailer(plain).send(notification())
    assert len(plain.script.data) == 5 - FAST.attempts


async def test_data_deferred_once_then_delivered(plain: FakeSmtp) -> None:
    plain.script.data = ["451 4.7.1 Greylisted, try again"]
    await mailer(plain).send(notification())
    assert len(plain.received) == 1


async def test_data_rejected_is_permanent(plain: FakeSmtp) -> None:
    plain.script.data = ["554 5.7.1 Message rejected", "554 5.7.1 Message rejected"]
    with pytest.raises(PermanentNotifyError, match="email_dataerror_554"):
        await mailer(plain).send(notification())
    assert len(plain.script.data) == 1  # tried once


async def test_a_server_that_does_not_answer_in_time_is_transient(plain: FakeSmtp) -> None:
    plain.script.data_stalls = [1.0] * FAST.attempts
    with pytest.raises(TransientNotifyError, match="email_SMTPReadTimeoutError"):
        await mailer(plain, notify_timeout=0.2).send(notification())
    assert plain.script.data_stalls == []


async def test_no_server_is_transient() -> None:
    async with FakeSmtp("plain") as gone:
        port = gone.port
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="plain", smtp_from=SENDER)
    with pytest.raises(TransientNotifyError):
        await Smtp(settings, context=CONTEXT, retry=FAST).send(notification())


async def test_a_recipient_without_addresses(plain: FakeSmtp) -> None:
    recipient = Recipient(kind="ngo", id="monitor", notify={"wecom": "https://qyapi.weixin.qq.com/x?key=k"})
    n = Notification.build(
        "escalated",
        reference="K7M3P-9QXA2",
        category="wages",
        deadline=datetime.now(UTC),
        recipient=recipient,
    )
    with pytest.raises(PermanentNotifyError, match="email_not_configured"):
        await mailer(plain).send(n)


def test_the_mailer_needs_a_server_and_a_sender() -> None:
    with pytest.raises(ValueError, match="smtp_host"):
        Smtp(NotifySettings(), context=CONTEXT, retry=FAST)
