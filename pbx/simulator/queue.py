"""The ``sales`` queue of queues.conf: members, statistics and its AMI views."""

from __future__ import annotations

from dataclasses import dataclass, field

from pbx.simulator.events import AGENT, event

NOT_INUSE, INUSE = 1, 2  # QueueMemberStatus Status values (AST_DEVICE_*)


@dataclass
class QueueMember:
    agent_id: str
    name: str = ""
    calls_taken: int = 0
    last_call: int = 0
    status: int = NOT_INUSE
    paused: bool = False
    paused_reason: str = ""
    last_pause: int = 0

    def __post_init__(self) -> None:
        self.name = self.name or f"Agent {self.agent_id}"

    @property
    def interface(self) -> str:
        return f"Local/{self.agent_id}@sim-agent"


@dataclass
class SalesQueue:
    """ringall over 101-103, member timeout 15 s, retry 2 s; Queue() itself passes the 40 s timeout."""

    login_time: int
    name: str = "sales"
    strategy: str = "ringall"
    member_timeout: float = 15.0
    retry: float = 2.0
    members: list[QueueMember] = field(default_factory=lambda: [QueueMember(i) for i in ("101", "102", "103")])
    waiting: list[str] = field(default_factory=list)  # channel names, in queue order
    completed: int = 0
    abandoned: int = 0
    holdtime: int = 0
    talktime: int = 0

    def member(self, agent_id: str) -> QueueMember | None:
        return next((m for m in self.members if m.agent_id == agent_id), None)

    def member_name(self, agent_id: str) -> str:
        member = self.member(agent_id)
        return member.name if member is not None else f"Agent {agent_id}"

    def member_status(self, member: QueueMember, name: str = "QueueMemberStatus") -> dict[str, str]:
        """The member's event (``QueueMemberPause`` has the same body as ``QueueMemberStatus``)."""
        return event(name, AGENT, {
            "Queue": self.name, "MemberName": member.name, "Interface": member.interface,
            "StateInterface": member.interface, "Membership": "static", "Penalty": "0",
            "CallsTaken": str(member.calls_taken), "LastCall": str(member.last_call),
            "LastPause": str(member.last_pause), "LoginTime": str(self.login_time), "InCall": "0",
            "Status": str(member.status), "Paused": str(int(member.paused)), "PausedReason": member.paused_reason,
            "Ringinuse": "0", "Wrapuptime": "0",
        })

    def ringable(self) -> list[QueueMember]:
        """The members a call rings: a paused one is left out, as app_queue does."""
        return [member for member in self.members if not member.paused]

    def member_by_interface(self, interface: str) -> QueueMember | None:
        return next((member for member in self.members if member.interface == interface), None)

    def availability(self) -> str:
        """State of the ``Queue:sales_avail`` device."""
        return "NOT_INUSE" if any(m.status == NOT_INUSE for m in self.ringable()) else "INUSE"

    def variables(self) -> list[tuple[str, str]]:
        """The ``setqueuevar`` block."""
        return [
            ("QUEUENAME", self.name), ("QUEUEMAX", "0"), ("QUEUESTRATEGY", self.strategy),
            ("QUEUECALLS", str(len(self.waiting))), ("QUEUEHOLDTIME", str(self.holdtime)),
            ("QUEUETALKTIME", str(self.talktime)), ("QUEUECOMPLETED", str(self.completed)),
            ("QUEUEABANDONED", str(self.abandoned)), ("QUEUESRVLEVEL", "0"), ("QUEUESRVLEVELPERF", "0.0"),
        ]

    def record_connect(self, holdtime: int) -> None:
        answered = self.completed + 1
        self.holdtime = round((self.holdtime * self.completed + holdtime) / answered)

    def record_complete(self, member: QueueMember, talktime: int, now: float) -> None:
        self.talktime = round((self.talktime * self.completed + talktime) / (self.completed + 1))
        self.completed += 1
        member.calls_taken += 1
        member.last_call = int(now)

    def params(self) -> dict[str, str]:
        """``QueueParams`` body for QueueStatus."""
        return {
            "Queue": self.name, "Max": "0", "Strategy": self.strategy, "Calls": str(len(self.waiting)),
            "Holdtime": str(self.holdtime), "TalkTime": str(self.talktime), "Completed": str(self.completed),
            "Abandoned": str(self.abandoned), "ServiceLevel": "0", "ServicelevelPerf": "0.0",
            "ServicelevelPerf2": "0.0", "Weight": "0",
        }

    def member_entry(self, member: QueueMember) -> dict[str, str]:
        """``QueueMember`` body for QueueStatus."""
        return {
            "Queue": self.name, "Name": member.name, "Location": member.interface,
            "StateInterface": member.interface, "Membership": "static", "Penalty": "0",
            "CallsTaken": str(member.calls_taken), "LastCall": str(member.last_call),
            "LastPause": str(member.last_pause), "LoginTime": str(self.login_time), "InCall": "0",
            "Status": str(member.status), "Paused": str(int(member.paused)), "PausedReason": member.paused_reason,
            "Wrapuptime": "0",
        }
