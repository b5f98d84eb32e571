"""Payloads of the domain events the crm's API changes publish, so caches of
what changed (routing's owner and manager caches) can be dropped.

The crm does not know who listens; the wiring subscribes, e.g. routing's
the owner index's refresh of each phone of ``client.changed``,
``lead.changed`` and ``managers.changed``, and the directory reload on
``managers.changed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.bus import CLIENT_CHANGED, LEAD_CHANGED, MANAGERS_CHANGED, DomainEvent


@dataclass(frozen=True)
class ClientChanged:
    client_id: int
    phones: tuple[str, ...]  # the numbers before and after: each may have a new owner, or none


@dataclass(frozen=True)
class LeadChanged:
    lead_id: int
    phones: tuple[str, ...]  # the lead's number: it may have a new owner, or none (closed)


@dataclass(frozen=True)
class ManagersChanged:
    manager_ids: tuple[int, ...]
    phones: tuple[str, ...] = ()  # numbers whose owner's extension or availability changed


def client_changed(client_id: int, phones: set[str]) -> DomainEvent:
    return DomainEvent(CLIENT_CHANGED, ClientChanged(client_id, tuple(sorted(phones))))


def lead_changed(lead_id: int, phone: str) -> DomainEvent:
    return DomainEvent(LEAD_CHANGED, LeadChanged(lead_id, (phone,)))


def managers_changed(manager_ids: set[int], phones: set[str] = frozenset()) -> DomainEvent:
    return DomainEvent(MANAGERS_CHANGED, ManagersChanged(tuple(sorted(manager_ids)), tuple(sorted(phones))))
