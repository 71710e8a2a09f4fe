"""Worker texts (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router import texts

DUE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_ack_names_reference_and_deadlines_in_the_workers_language():
    zh = texts.ack("zh", "ABCDE-FGHJK", DUE, DUE + timedelta(days=3), False)
    assert "ABCDE-FGHJK" in zh and "03月02日 18:00（北京时间）" in zh and "委员会" in zh
    en = texts.ack("en", "ABCDE-FGHJK", DUE, DUE + timedelta(days=3), True)
    assert "02 Mar 10:00 UTC" in en and "05 Mar 10:00 UTC" in en and "independent" in en


def test_resolution_check_asks_for_yes_or_no():
    assert "是" in texts.resolution_check("zh", "ABCDE-FGHJK", "已解决") and "否" in texts.resolution_check(
        "zh", "ABCDE-FGHJK", "已解决"
    )
    assert "YES or NO" in texts.resolution_check("en", "ABCDE-FGHJK", "done")
