"""Which script scores a call: the most specific active one that applies."""

from dataclasses import dataclass, field

from qa.choice import CallFacts, choose_script


@dataclass
class Row:
    id: int
    direction: str = "any"
    dids: list = field(default_factory=list)
    groups: list = field(default_factory=list)


def chosen(call: CallFacts, *rows: Row) -> int | None:
    found = choose_script(list(rows), call)
    return None if found is None else found.id


INBOUND = CallFacts("inbound", "74951234567", ["Продажи"])


def test_the_did_beats_the_group_beats_the_direction_beats_any():
    rows = [Row(1), Row(2, "inbound"), Row(3, "inbound", groups=["Продажи"]), Row(4, dids=["+7 (495) 123-45-67"])]
    assert chosen(INBOUND, *rows) == 4
    assert chosen(INBOUND, *rows[:3]) == 3
    assert chosen(INBOUND, *rows[:2]) == 2
    assert chosen(INBOUND, rows[0]) == 1


def test_a_script_for_something_else_does_not_apply():
    assert chosen(INBOUND, Row(1, "outbound"), Row(2, dids=["74950000000"]), Row(3, groups=["Сервис"])) is None
    assert chosen(CallFacts("outbound", None, []), Row(1, "inbound")) is None


def test_among_equals_the_newest_version_wins():
    assert chosen(INBOUND, Row(5, "inbound"), Row(9, "inbound"), Row(7, "inbound")) == 9
