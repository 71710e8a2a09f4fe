"""What the demo says when the system does not do what it expects: what went wrong, and what to do.

The demo is often the first thing a newcomer runs, and the usual causes of a failure are few: a
tokens file of an earlier run (its tokens and Twilio auth token are refused), a system not started
or stopped meanwhile, real deadlines, or a registry file other than the one the system loaded. Each
message names the request and the answer, then the likely cause and the next step. The functions
are pure, so each wording is tested against the answer that earns it.
"""

from __future__ import annotations

from shared.invocation import grievance

TOKENS = "start the demo with the tokens file the running system wrote (--tokens FILE; `make run` writes tokens.json)"
ANOTHER_RUN = "the tokens file probably belongs to another run"
REGISTRY = "pass the registry file the running system loaded with --registry FILE"
LOG = "the running system's log says why; run the demo again once it is fixed"
AGAIN = "run the demo again (it opens new cases each time)"
NO_REFERENCE = (
    "the web form took the grievance but gave the worker no case reference: intake is of another "
    "version than this demo; run both from one checkout"
)


def start() -> str:
    """The command that starts the system the demo expects, as it works when pasted."""
    return grievance("serve all --registry examples/registry.yaml --tokens-out tokens.json --demo-sla")


def _said(request: str, status: int, detail: str | None) -> str:
    return f"{request} answered HTTP {status}" + (f" ({detail})" if detail else "")


def _common(status: int) -> str | None:
    """The hints that hold for every service: too many requests, a server error."""
    if status == 429:
        return "the system limits requests from this address: wait a minute, then run the demo again"
    if status >= 500:
        return LOG
    return None


def sms_refused(status: int, detail: str | None) -> str:
    said = _said("the SMS webhook", status, detail)
    if status == 403:
        return (
            f"{said}: the tokens file or the Twilio auth token the demo signs with probably belongs "
            f"to another run. Either {TOKENS}, or set GRIEVANCE_TWILIO_AUTH_TOKEN to the "
            "running system's (the signature also covers GRIEVANCE_PUBLIC_BASE_URL: it must be the same)"
        )
    if status == 503:
        return (
            f"{said}: intake takes no SMS just now. If its Twilio webhooks are not configured, start the "
            "system with GRIEVANCE_TWILIO_AUTH_TOKEN set (the embedded run sets a development one); "
            "otherwise wait a moment and run the demo again"
        )
    return f"{said}: " + (
        _common(status)
        or "--intake (or the tokens file's urls) probably points at something else than intake"
    )


def web_form_refused(status: int, detail: str | None) -> str:
    said = _said("the web form", status, detail)
    if status == 422:
        return f"{said}: the demo's registry file is probably not the running system's: {REGISTRY}"
    if status == 503:
        return f"{said}: intake could not store the grievance (is RabbitMQ up?); {LOG}"
    return f"{said}: " + (
        _common(status)
        or "--intake (or the tokens file's urls) probably points at something else than intake"
    )


def committee_refused(committee: str, request: str, status: int, detail: str | None) -> str:
    said = _said(request, status, detail)
    if status in (401, 403):
        return f"{said}: the router refused committee {committee}'s token: {ANOTHER_RUN}; {TOKENS}"
    if status == 404:
        return f"{said}: the case is no longer committee {committee}'s (it was moved meanwhile); {AGAIN}"
    if status == 409:
        return f"{said}: someone else acted on the case meanwhile; {AGAIN}"
    return f"{said}: " + (
        _common(status) or "the router and this demo are of different versions; run both from one checkout"
    )


def ngo_refused(status: int, detail: str | None) -> str:
    said = _said("the NGO escalation list", status, detail)
    if status in (401, 403):
        return f"{said}: escalation refused the NGO token: {ANOTHER_RUN}; {TOKENS}"
    return f"{said}: " + (
        _common(status) or "--escalation (or the tokens file's urls) probably points at something else"
    )


def gone(service: str, url: str, error: BaseException) -> str:
    return (
        f"{service} stopped answering at {url} ({error.__class__.__name__}): is the system still "
        f"running? Start it again ({start()}), then run the demo again"
    )


def not_routed(keys: list[str], waited: str) -> str:
    return (
        f"not routed within {waited}: {', '.join(keys)}. No committee of the tokens file holds these "
        "cases and the NGO does not see them. Check that the router runs and takes router.grievances "
        f"(its log; `{grievance('dlq list router.grievances --tokens FILE')}` lists what it refused), and "
        f"that the tokens file and the registry are the running system's ({REGISTRY})"
    )


def no_committee(action: str, reasons: set[str]) -> str:
    if reasons:
        return (
            f"no committee holds the case (the NGO does: {', '.join(sorted(reasons))}), so none could "
            f"{action} it: the running system's registry is probably not the demo's; {REGISTRY}"
        )
    return f"the case was not routed (see step 2), so no committee could {action} it"


def no_sms_number(factory: str) -> str:
    return f"factory {factory} has no SMS number in the demo's registry file: {REGISTRY}"


def outcomes_missed(waited: str) -> str:
    """After the list of outcomes that did not happen: where to look, and when a rerun helps."""
    return (
        f"Each line above is something the system did not do within {waited}. On a slow machine run "
        "the demo again with a longer --timeout; otherwise the running system's log says why (search "
        "it for the case's reference)."
    )
