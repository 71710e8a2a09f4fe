"""The demo's story: eight workers, three factories, one committee at work and one that is not.

Each grievance is sent the way a worker would send it (an SMS to the factory's number, or the web
form with the factory code). The expectations are the behaviour a programme monitor would check:
the locked fire exit reaches the NGO at once, a threat of retaliation bypasses the factory, an
unanswered case goes overdue, and a disputed resolution reopens and escalates.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

Channel = Literal["sms", "web"]


@dataclass(frozen=True)
class Grievance:
    key: str
    channel: Channel
    factory: str  # a factory code of the registry
    language: Literal["zh", "en"]
    text: str
    number: int = 0  # which of the factory's SMS numbers the worker texts (SMS only)


def fresh_phone() -> str:
    """A mobile number for one worker of one run: a second run against the same system must not
    continue the first run's cases (a message from a known number joins that worker's open case)."""
    return f"+86138{secrets.randbelow(10**8):08d}"


# Keys the steps below refer to.
FIRE_EXIT = "fire_exit"
ACKNOWLEDGED = "wages_acknowledged"
REPLIED = "hours_replied"
OVERDUE = "canteen_overdue"
DISPUTED = "harassment_disputed"
RETALIATION = "retaliation"

GRIEVANCES: tuple[Grievance, ...] = (
    Grievance(
        FIRE_EXIT,
        "sms",
        "GZ-001",
        "zh",
        "安全出口被锁了，晚上加班时所有的门都锁着，着火了根本跑不出去",
    ),
    Grievance(ACKNOWLEDGED, "sms", "GZ-001", "zh", "这个月工资又拖欠了，已经两个月没发工资"),
    Grievance(
        REPLIED,
        "web",
        "DG-002",
        "en",
        "We work 12 hours every day and on Sundays, and the overtime is not paid.",
    ),
    Grievance(
        OVERDUE,
        "sms",
        "SZ-003",
        "en",
        "The canteen food is cold and there are not enough tables.",
    ),
    Grievance("dormitory", "web", "DG-002", "zh", "宿舍太吵，晚上没有热水洗澡"),
    Grievance(DISPUTED, "sms", "GZ-001", "zh", "组长经常骂人，昨天还推了我一把", number=1),
    Grievance(
        RETALIATION,
        "web",
        "GZ-001",
        "en",
        "My supervisor threatened to fire me because I complained to the committee.",
    ),
    Grievance(
        "machine_guard",
        "sms",
        "DG-002",
        "en",
        "The safety guard was removed from the cutting machine and a worker hurt his hand.",
    ),
)

ACKNOWLEDGEMENT = None  # acknowledging takes no body
REPLY = "We have raised the overtime pay with management and will meet the workers on Friday."
RESOLUTION = "组长已被警告，并向你道歉。"
DISPUTE = "否"
