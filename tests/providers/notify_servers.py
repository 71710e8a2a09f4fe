"""Local servers that speak the WeCom and DingTalk group-robot APIs and SMTP, and record what they got.

They check what the real services check, as their documentation and their error codes describe
it, so an adapter that sends the wrong shape, signs wrongly or sends too fast is refused here as it
would be there:

- WeCom (``/cgi-bin/webhook/send?key=``): a known key (else 93000), a JSON body without
  ``\\uXXXX`` escapes (40033), ``msgtype`` text or markdown (40008), a non-empty content (44004)
  within 2048 bytes for text and 4096 for markdown, 20 messages a minute per key (45009).
- DingTalk (``/robot/send?access_token=``): a known token (300001), for a signing robot a
  ``timestamp`` within an hour and ``sign`` = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))
  after URL decoding (310000), a configured keyword in the content (310000), text or markdown with
  its fields (40035), 20 messages a minute (130101).
- SMTP (aiosmtpd): plain, STARTTLS (required before MAIL) or implicit TLS, optional AUTH; replies
  to RCPT and DATA can be scripted per address and per message.

``script`` holds answers to give before any check, in order: a scripted status and body, or a
stall longer than the client's timeout.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import ipaddress
import json
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Self

from aiohttp import web
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.servers import ServiceServer

MINUTE = 60.0


@dataclass(frozen=True)
class Answer:
    """A scripted answer: HTTP ``status`` with a JSON ``body``, after ``stall`` seconds."""

    status: int = 200
    body: Mapping[str, Any] | None = None
    stall: float = 0.0


@dataclass
class RobotRequest:
    """What one request to a robot carried."""

    query: dict[str, str]
    content_type: str
    raw: bytes
    payload: Any = None


class _Robot:
    """What both robots share: a server, the request log, the script and a per-robot rate window."""

    def __init__(self, path: str, limit: int, clock: Callable[[], float]) -> None:
        self.requests: list[RobotRequest] = []
        self.delivered: list[dict[str, Any]] = []
        self.script: list[Answer] = []
        self._limit = limit
        self._clock = clock
        self._windows: dict[str, deque[float]] = {}
        app = web.Application()
        app.router.add_post(path, self._handle)
        self.server = ServiceServer(app)

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def fail(self, status: int = 200, **body: Any) -> None:
        self.script.append(Answer(status=status, body=body or None))

    def stall(self, seconds: float) -> None:
        self.script.append(Answer(stall=seconds, body={"errcode": 0, "errmsg": "ok"}))

    def _over_limit(self, robot: str) -> bool:
        now = self._clock()
        window = self._windows.setdefault(robot, deque())
        while window and now - window[0] >= MINUTE:
            window.popleft()
        if len(window) >= self._limit:
            return True
        window.append(now)
        return False

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        record = RobotRequest(dict(request.query), request.headers.get("Content-Type", ""), raw)
        self.requests.append(record)
        if self.script:
            answer = self.script.pop(0)
            if answer.stall:
                await asyncio.sleep(answer.stall)
            return web.json_response(answer.body, status=answer.status)
        return web.json_response(self._check(request, record))

    def _check(self, request: web.Request, record: RobotRequest) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def _error(errcode: int, errmsg: str) -> dict[str, Any]:
        return {"errcode": errcode, "errmsg": errmsg}

    async def __aenter__(self) -> Self:
        await self.server.start_server()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.server.close()


class FakeWeCom(_Robot):
    """A WeCom group robot endpoint for the given keys."""

    TEXT_LIMIT = 2048
    MARKDOWN_LIMIT = 4096

    def __init__(
        self,
        keys: Iterable[str] = ("wecom-key-1",),
        *,
        limit: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__("/cgi-bin/webhook/send", limit, clock)
        self.keys = set(keys)

    def url(self, key: str = "wecom-key-1") -> str:
        return f"{self.base_url}/cgi-bin/webhook/send?key={key}"

    def _check(self, request: web.Request, record: RobotRequest) -> dict[str, Any]:
        key = request.query.get("key", "")
        if key not in self.keys:
            return self._error(93000, "invalid webhook url")
        if b"\\u" in record.raw:
            return self._error(40033, "invalid charset. please check your request, cannot contain \\uxxxx")
        try:
            record.payload = json.loads(record.raw.decode("utf-8"))
        except ValueError:
            return self._error(40035, "invalid parameter, Warning: wrong json format")
        payload = record.payload
        msgtype = payload.get("msgtype") if isinstance(payload, dict) else None
        if msgtype not in ("text", "markdown"):
            return self._error(40008, "invalid message type")
        part = payload.get(msgtype)
        content = part.get("content") if isinstance(part, dict) else None
        if not isinstance(content, str) or not content.strip():
            return self._error(44004, "empty content")
        limit = self.TEXT_LIMIT if msgtype == "text" else self.MARKDOWN_LIMIT
        if len(content.encode("utf-8")) > limit:
            return self._error(40058, f"content exceed max length {limit}")
        if self._over_limit(key):
            return self._error(45009, "api freq out of limit")
        self.delivered.append(payload)
        return self._error(0, "ok")


@dataclass(frozen=True)
class DingTalkSecurity:
    """A robot's security settings: a signing secret, keywords, or both."""

    secret: str | None = None
    keywords: tuple[str, ...] = ()


class FakeDingTalk(_Robot):
    """A DingTalk custom robot endpoint for the given tokens and their security settings."""

    SIGNATURE_WINDOW_MS = 3_600_000

    def __init__(
        self,
        robots: Mapping[str, DingTalkSecurity],
        *,
        limit: int = 20,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__("/robot/send", limit, clock)
        self.robots = dict(robots)
        self._wall_clock = wall_clock

    def url(self, token: str) -> str:
        return f"{self.base_url}/robot/send?access_token={token}"

    def _check(self, request: web.Request, record: RobotRequest) -> dict[str, Any]:
        token = request.query.get("access_token", "")
        security = self.robots.get(token)
        if security is None:
            return self._error(300001, "token is not exist")
        if security.secret is not None:
            refusal = self._signature_refusal(
                request.query.get("timestamp", ""), request.query.get("sign", ""), security.secret
            )
            if refusal:
                return self._error(310000, refusal)
        try:
            record.payload = json.loads(record.raw.decode("utf-8"))
        except ValueError:
            return self._error(40035, "缺少参数 json")
        payload = record.payload
        msgtype = payload.get("msgtype") if isinstance(payload, dict) else None
        if msgtype == "text":
            part = payload.get("text")
            fields = [part.get("content")] if isinstance(part, dict) else [None]
        elif msgtype == "markdown":
            part = payload.get("markdown")
            fields = [part.get("title"), part.get("text")] if isinstance(part, dict) else [None]
        else:
            return self._error(40035, "缺少参数 msgtype")
        texts = [value for value in fields if isinstance(value, str) and value.strip()]
        if len(texts) != len(fields):
            return self._error(40035, "缺少参数 content")
        if security.keywords and not any(word in value for word in security.keywords for value in texts):
            return self._error(310000, "keywords not in content")
        if self._over_limit(token):
            return self._error(130101, "send too fast, exceed 20 times per minute")
        self.delivered.append(payload)
        return self._error(0, "ok")

    def _signature_refusal(self, timestamp: str, sign: str, secret: str) -> str | None:
        if not timestamp.isdigit():
            return "invalid timestamp"
        if abs(int(self._wall_clock() * 1000) - int(timestamp)) > self.SIGNATURE_WINDOW_MS:
            return "invalid timestamp"
        digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode("ascii"), sign):
            return "sign not match"
        return None


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_tls_files(directory: Path) -> TlsFiles:
    """A self-signed certificate for localhost and 127.0.0.1; clients trust it as their CA file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / "smtp-cert.pem", directory / "smtp-key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class _SmtpScript:
    # Address -> the reply to its RCPT TO, e.g. "550 5.1.1 No such user" or "451 4.3.0 Try later".
    rcpt: dict[str, str] = field(default_factory=dict)
    # Replies to the next DATA commands, in order; then "250 OK".
    data: list[str] = field(default_factory=list)
    # Seconds to wait before answering the next DATA commands, in order.
    data_stalls: list[float] = field(default_factory=list)


class _MailHandler:
    def __init__(self, owner: FakeSmtp) -> None:
        self._owner = owner

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self._owner.script.rcpt.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        script = self._owner.script
        if script.data_stalls:
            await asyncio.sleep(script.data_stalls.pop(0))
        if script.data:
            return script.data.pop(0)
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self._owner.received.append(
            ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), message, raw)
        )
        return "250 OK"


class FakeSmtp:
    """An SMTP server on 127.0.0.1 (aiosmtpd), in the security mode given, recording every mail."""

    def __init__(
        self,
        security: Literal["plain", "starttls", "tls"] = "plain",
        *,
        tls: TlsFiles | None = None,
        users: Mapping[str, str] | None = None,
    ) -> None:
        if security != "plain" and tls is None:
            raise ValueError("STARTTLS and implicit TLS need a certificate")
        if security == "plain" and users:
            raise ValueError("no AUTH over plain text")
        self.security = security
        self.received: list[ReceivedMail] = []
        self.script = _SmtpScript()
        self.logins: list[str] = []
        self._tls = tls
        self._users = dict(users or {})
        self._server: asyncio.Server | None = None
        self._mail_log_level = logging.NOTSET
        self.port = 0

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        ok = (
            hmac.compare_digest(self._users.get(login, "").encode(), auth_data.password)
            and login in self._users
        )
        if ok:
            self.logins.append(login)
        return AuthResult(success=ok, handled=False)

    def _protocol(self) -> SMTP:
        context = self._tls.server_context() if self._tls and self.security == "starttls" else None
        return SMTP(
            _MailHandler(self),
            hostname="localhost",
            tls_context=context,
            require_starttls=self.security == "starttls",
            authenticator=self._authenticate if self._users else None,
            # Without users the server offers no AUTH at all, like a relay that takes no logins.
            auth_exclude_mechanism=None if self._users else ["LOGIN", "PLAIN"],
            # aiosmtpd counts only STARTTLS as TLS; behind implicit TLS it offers AUTH when told
            # TLS is not required, and then it cannot also require AUTH without a warning.
            auth_required=bool(self._users) and self.security == "starttls",
            auth_require_tls=self.security == "starttls",
        )

    async def __aenter__(self) -> Self:
        # aiosmtpd's own log writes every SMTP line at DEBUG, AUTH included: keep it out of the run's log.
        mail_log = logging.getLogger("mail.log")
        self._mail_log_level = mail_log.level
        mail_log.setLevel(logging.WARNING)
        ssl_context = self._tls.server_context() if self._tls and self.security == "tls" else None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, host="127.0.0.1", port=0, ssl=ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        logging.getLogger("mail.log").setLevel(self._mail_log_level)
