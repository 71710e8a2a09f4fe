"""Telling a committee or an NGO by e-mail, through one SMTP server (aiosmtplib).

One message per notification, to every address the recipient listed, from ``smtp_from``: a plain
UTF-8 text with the same words the robots send and a subject that is the title. It is marked
``Auto-Submitted: auto-generated`` (RFC 3834) so vacation responders do not answer it.

The connection is STARTTLS (submission, 587), implicit TLS (465) or, for a relay on loopback
only, plain (25); the certificate is always verified, against ``smtp_cafile`` when it is set.

SMTP's reply codes decide: 4xx is transient, 5xx permanent (550 no such mailbox, 535 bad
credentials); a server that cannot do STARTTLS is permanent (a configuration to fix, never a
reason to fall back to plain text); connection failures and timeouts are transient. When the
server refuses some addresses and takes the others, the notification was delivered: it is not
sent again, so nobody gets it twice, and the refusals are logged as a count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib
import structlog

from services.notify.config import Channel
from services.notify.errors import PermanentNotifyError, TransientNotifyError
from services.notify.model import Notification
from services.notify.render import RenderContext, Rendered, render
from services.notify.retrying import with_retries
from services.notify.settings import NotifySettings
from shared.messaging import Retry

log = structlog.get_logger(__name__)


def build_message(
    rendered: Rendered, *, sender: str, recipients: Sequence[str], at: datetime
) -> EmailMessage:
    """The mail for one notification (pure)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = rendered.title
    message["Date"] = format_datetime(at.astimezone(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text() + "\n")
    # After set_content, which drops every Content-* header set before it.
    message["Content-Language"] = "zh-Hans" if rendered.language == "zh" else "en"
    return message


def _reply_error(code: int, what: str) -> PermanentNotifyError | TransientNotifyError:
    name = f"email_{what}_{code}"
    return TransientNotifyError(name) if 400 <= code < 500 else PermanentNotifyError(name)


class Smtp:
    channel: Channel = "email"

    def __init__(
        self,
        settings: NotifySettings,
        *,
        context: RenderContext,
        retry: Retry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if settings.smtp_host is None or settings.smtp_from is None:
            raise ValueError("the e-mail channel needs smtp_host and smtp_from")
        self._host = settings.smtp_host
        self._sender = settings.smtp_from
        self._settings = settings
        self._context = context
        self._retry = retry
        self._clock = clock

    async def send(self, notification: Notification) -> None:
        recipients = notification.recipient.notify.email
        if not recipients:
            raise PermanentNotifyError("email_not_configured")
        message = build_message(
            render(notification, self._context), sender=self._sender, recipients=recipients, at=self._clock()
        )

        async def attempt() -> None:
            refused = await self._send_once(message, recipients)
            if refused:
                log.warning(
                    "notification_email_partly_refused",
                    recipient_id=notification.recipient.id,
                    refused=refused,
                    accepted=len(recipients) - refused,
                )

        await with_retries(attempt, self._retry, channel=self.channel)

    async def _send_once(self, message: EmailMessage, recipients: Sequence[str]) -> int:
        """Hand the message over once; the number of addresses the server refused."""
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=settings.smtp_port,
            use_tls=settings.smtp_security == "tls",
            # STARTTLS is done below, where a server without it can be told apart from a fault.
            start_tls=False,
            timeout=settings.notify_timeout,
            cert_bundle=settings.smtp_cafile,
        )
        try:
            async with client:
                if settings.smtp_security == "starttls":
                    await client.ehlo()
                    if not client.supports_extension("starttls"):
                        raise PermanentNotifyError("email_starttls_unsupported")
                    await client.starttls()
                if settings.smtp_username is not None and settings.smtp_password is not None:
                    await client.ehlo()
                    if not client.server_auth_methods:
                        raise PermanentNotifyError("email_auth_unsupported")
                    await client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
                refused, _ = await client.send_message(
                    message, sender=self._sender, recipients=list(recipients)
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refusal.code for refusal in exc.recipients]
            if any(400 <= code < 500 for code in codes):
                raise TransientNotifyError("email_recipients_deferred") from None
            raise PermanentNotifyError("email_recipients_refused") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _reply_error(exc.code, exc.__class__.__name__.removeprefix("SMTP").lower()) from None
        except aiosmtplib.SMTPNotSupported:
            raise PermanentNotifyError("email_not_supported") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientNotifyError(f"email_{exc.__class__.__name__}") from None
        return len(refused)
