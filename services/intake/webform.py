"""``POST /api/v1/grievances``: the web form (design section 7).

Every field is validated by pattern or type before anything else happens; unknown fields are refused,
so no user value can reach a query operator downstream. With an ``idempotency_key`` the grievance id
is derived from the key and the content, so a resubmission gets the same reference and PIN; without
one every submission is a new grievance.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Literal

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictStr, StringConstraints

from services.intake.state import INTAKE
from services.intake.texts import detect_language
from shared.contracts import GrievanceReceived
from shared.ids import grievance_id_for, new_grievance_id, reference_for
from shared.privacy import normalise_e164, pin_for, pin_hash, reporter_key, seal
from shared.web import Problem, json_response, read_json

WEB_MAX_CHARS = 4000


def _plain_text(value: str) -> str:
    """Refuse what JSON escapes can smuggle past the body check: NUL and lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=WEB_MAX_CHARS),
    AfterValidator(_plain_text),
]


class GrievanceForm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    factory_code: StrictStr = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    text: Text
    contact: Annotated[StrictStr, AfterValidator(_plain_text), Field(max_length=64)] | None = None
    anonymous: StrictBool = True
    language: Literal["zh", "en"] | None = None
    idempotency_key: StrictStr | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{16,128}$")


def _grievance_id(form: GrievanceForm) -> uuid.UUID:
    if form.idempotency_key is None:
        return new_grievance_id()
    content = hashlib.sha256(f"{form.factory_code}\x1f{form.text}".encode()).hexdigest()
    return grievance_id_for("web", form.idempotency_key, content)


async def submit_grievance(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    form = await read_json(request, GrievanceForm)
    region = intake.settings.default_region
    number = None
    if form.contact is not None:
        number = normalise_e164(form.contact, region)
        if number is None:
            raise Problem(
                422,
                "Unprocessable Content",
                "invalid fields",
                errors=[{"field": "contact", "message": "not a phone number"}],
            )
    grievance_id = _grievance_id(form)
    reference = reference_for(grievance_id)
    keys = intake.runtime.keys
    pin = pin_for(keys, str(grievance_id))

    def build() -> GrievanceReceived:
        runtime = intake.runtime
        return GrievanceReceived(
            correlation_id=grievance_id,
            grievance_id=grievance_id,
            reference=reference,
            channel="web",
            provider="web",
            received_at=runtime.clock(),
            text=form.text,
            language=form.language or detect_language(form.text),
            factory_hint=form.factory_code,
            reporter_key=reporter_key(keys, number) if number else None,
            sealed_contact=seal(keys, number) if number else None,
            anonymous=form.anonymous,
            pin_hash=pin_hash(keys, reference, pin),
        )

    reference = await intake.publisher.publish(grievance_id, build)
    return json_response(
        {
            "reference": reference,
            "pin": pin,
            "status_url": f"{intake.status_base_url}/api/v1/status/{reference}",
        },
        status=202,
    )
