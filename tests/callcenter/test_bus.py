"""The bus delivers in order and survives a failing handler."""

from callcenter.bus import DomainEvent, EventBus


async def test_handlers_run_in_order_and_a_failure_does_not_stop_the_rest(caplog):
    bus = EventBus()
    seen: list[str] = []

    async def first(event):
        seen.append(f"first:{event.payload}")

    async def broken(event):
        raise RuntimeError("boom")

    async def last(event):
        seen.append(f"last:{event.payload}")

    for handler in (first, broken, last):
        bus.subscribe("call.ended", handler)
    await bus.publish_all([DomainEvent("call.ended", 1), DomainEvent("call.ended", 2), DomainEvent("other", 3)])
    assert seen == ["first:1", "last:1", "first:2", "last:2"]
    assert "boom" in caplog.text
