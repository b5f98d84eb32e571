"""``/api/routing-rules`` and ``/api/groups/{id}/chain``: what each dialled
number and each group does with a call (configuration: admins and the ROP).

Chains are ``routing.rules.ChainSpec``: the same validation the router applies
to what it reads back. A change takes effect on the next call.
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from accounts.access import CONFIGURE, Principal
from api.app import context
from api.registry import Routes
from api.validation import Patch, Schema, Timestamp
from routing.rule_store import RuleStore
from routing.rules import CATCH_ALL_DID, ChainSpec, IvrDigit
from storage.models import Group, RoutingRule

routes = Routes("routing")

Did = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\*|\+?[0-9]{1,39})$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
DID_HELP = f"The number dialled, as the trunk sends it; {CATCH_ALL_DID!r}: every number without a rule of its own."
SOURCE_HELP = 'How callers of this number heard of us ("Avito", "сайт"): recorded on each call and lead.'
IVR_HELP = "The caller's menu choice (the route AGI's first argument) -> its chain."


class RuleOut(BaseModel):
    id: int
    did: str
    name: str
    source: str | None
    chain: ChainSpec
    ivr: dict[str, ChainSpec]
    active: bool
    updated_at: Timestamp | None


class RuleList(BaseModel):
    items: list[RuleOut]


class RuleCreate(Schema):
    did: Did = Field(description=DID_HELP)
    name: Text = ""
    source: Source | None = Field(default=None, description=SOURCE_HELP)
    chain: ChainSpec
    ivr: dict[IvrDigit, ChainSpec] = Field(default_factory=dict, description=IVR_HELP)
    active: bool = True


class RuleUpdate(Patch):
    nullable = frozenset({"source"})

    did: Did | None = Field(default=None, description=DID_HELP)
    name: Text | None = None
    source: Source | None = Field(default=None, description=SOURCE_HELP)
    chain: ChainSpec | None = None
    ivr: dict[IvrDigit, ChainSpec] | None = Field(default=None, description=IVR_HELP)
    active: bool | None = None


class GroupChain(Schema):
    chain: ChainSpec | None = Field(description="null: ring the group's managers by round-robin.")


class GroupChainOut(BaseModel):
    group_id: int
    group: str
    chain: ChainSpec | None


def _store(request: web.Request) -> RuleStore:
    ctx = context(request)
    return RuleStore(ctx.sessions, ctx.bus)


def _rule_out(rule: RoutingRule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        did=rule.did,
        name=rule.name,
        source=rule.source,
        chain=ChainSpec.model_validate(rule.chain),
        ivr={digit: ChainSpec.model_validate(chain) for digit, chain in (rule.ivr or {}).items()},
        active=rule.active,
        updated_at=rule.updated_at,
    )


def _chain_out(group: Group) -> GroupChainOut:
    chain = None if group.chain is None else ChainSpec.model_validate(group.chain)
    return GroupChainOut(group_id=group.id, group=group.name, chain=chain)


def _changes(body: RuleCreate | RuleUpdate) -> dict:
    """A new rule's fields, or the fields an update sent; chains stay ``ChainSpec`` for the store to check."""
    names = RuleCreate.model_fields if isinstance(body, RuleCreate) else body.model_fields_set
    return {name: getattr(body, name) for name in names}


@routes.get("/routing-rules", roles=CONFIGURE, response=RuleList)
async def list_rules(request: web.Request, principal: Principal) -> RuleList:
    """Every dialled number's rule, by number."""
    return RuleList(items=[_rule_out(rule) for rule in await _store(request).rules()])


@routes.get("/routing-rules/{rule_id}", roles=CONFIGURE, response=RuleOut)
async def get_rule(request: web.Request, principal: Principal, rule_id: int) -> RuleOut:
    """One rule."""
    return _rule_out(await _store(request).rule(rule_id))


@routes.post("/routing-rules", roles=CONFIGURE, body=RuleCreate, response=RuleOut, status=201, errors=(409,))
async def create_rule(request: web.Request, principal: Principal, body: RuleCreate) -> RuleOut:
    """Add a rule for a number; a number that has one already is a 409."""
    return _rule_out(await _store(request).save_rule(None, _changes(body)))


@routes.patch("/routing-rules/{rule_id}", roles=CONFIGURE, body=RuleUpdate, response=RuleOut, errors=(409,))
async def update_rule(request: web.Request, principal: Principal, rule_id: int, body: RuleUpdate) -> RuleOut:
    """Change a rule: its number, name, source, chain, IVR menu, or switch it off."""
    return _rule_out(await _store(request).save_rule(rule_id, _changes(body)))


@routes.delete("/routing-rules/{rule_id}", roles=CONFIGURE, status=204)
async def delete_rule(request: web.Request, principal: Principal, rule_id: int) -> None:
    """Remove a rule: its number then follows the catch-all rule, or the default group."""
    await _store(request).delete_rule(rule_id)


@routes.get("/groups/{group_id}/chain", roles=CONFIGURE, response=GroupChainOut)
async def get_group_chain(request: web.Request, principal: Principal, group_id: int) -> GroupChainOut:
    """The chain a known caller of this group's managers follows."""
    return _chain_out(await _store(request).group_chain(group_id))


@routes.put("/groups/{group_id}/chain", roles=CONFIGURE, body=GroupChain, response=GroupChainOut)
async def set_group_chain(request: web.Request, principal: Principal, group_id: int, body: GroupChain) -> GroupChainOut:
    """Set the group's own chain, or clear it (round-robin over its managers)."""
    return _chain_out(await _store(request).set_group_chain(group_id, body.chain))
