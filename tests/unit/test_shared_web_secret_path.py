"""The access log hides a webhook's path secret, however the provider's URL was set up."""

from __future__ import annotations

import pytest

from shared.access_log import SECRET_PATH

SECRET = "s3cr3t-Abc_123-xyz"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/webhooks/aliyun/sms/{SECRET}", "/webhooks/aliyun/sms/{secret}"),
        (f"/webhooks/tencent/sms-status/{SECRET}/", "/webhooks/tencent/sms-status/{secret}"),
        (f"/webhooks/aliyun/sms-report/{SECRET}/extra", "/webhooks/aliyun/sms-report/{secret}"),
        ("/webhooks/twilio/sms", "/webhooks/twilio/sms"),
        ("/api/v1/grievances", "/api/v1/grievances"),
    ],
)
def test_a_path_secret_never_reaches_the_log(path: str, logged: str) -> None:
    assert SECRET_PATH.sub(r"\g<route>{secret}", path) == logged
