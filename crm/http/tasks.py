"""``/api/tasks``: callback tasks for missed calls, and calling back from one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from accounts.access import ASSIGN, CALL_DATA, Principal, data_scope
from api.app import context
from api.errors import Conflict, ServiceUnavailable
from api.pagination import Page, PageQuery
from api.registry import Routes
from api.validation import Schema, Timestamp
from crm.click_to_call import ClickToCallError, PbxUnavailable
from crm.http.fields import Phone
from crm.task_queries import TASK_SORTS, TaskFilters, TaskQueries
from crm.tasks import TASK_DONE, TASK_OPEN, is_overdue
from storage.models import CallbackTask

routes = Routes("tasks")

TaskStatus = Literal[TASK_OPEN, TASK_DONE]  # type: ignore[valid-type]


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str
    client_id: int | None
    lead_id: int | None
    manager_id: int | None
    status: TaskStatus
    overdue: bool = Field(default=False, description="Open and past the deadline.")
    missed_count: int
    first_call_id: int | None
    first_missed_at: Timestamp
    last_missed_at: Timestamp
    deadline_at: Timestamp
    escalated_at: Timestamp | None
    closed_at: Timestamp | None
    closed_by_call_id: int | None


class TaskQuery(PageQuery):
    sort: TASK_SORTS.choices() = TASK_SORTS.default  # type: ignore[valid-type]
    status: TaskStatus | None = None
    overdue: bool | None = Field(default=None, description="true: open and past the deadline; false: the others.")
    manager: int | None = None
    unassigned: bool = False
    phone: Phone | None = None


class TaskAssignment(Schema):
    manager_id: int | None = Field(description="null: nobody (the head of sales picks it up).")


def _tasks(request: web.Request) -> TaskQueries:
    return TaskQueries(context(request).sessions)


def _out(request: web.Request, task: CallbackTask) -> TaskOut:
    overdue = task.status == TASK_OPEN and is_overdue(task.deadline_at, context(request).clock.now())
    return TaskOut.model_validate(task).model_copy(update={"overdue": overdue})


@routes.get("/tasks", roles=CALL_DATA, query=TaskQuery, response=Page[TaskOut])
async def list_tasks(request: web.Request, principal: Principal, query: TaskQuery) -> Page[TaskOut]:
    """Callback tasks, the soonest deadline first by default."""
    filters = TaskFilters(
        now=context(request).clock.now(),
        status=query.status,
        overdue=query.overdue,
        manager_id=query.manager,
        unassigned=query.unassigned,
        phone=query.phone,
    )
    tasks, cursor = await _tasks(request).page(data_scope(principal), filters, TASK_SORTS.request(query, query.sort))
    return Page[TaskOut](items=[_out(request, task) for task in tasks], next_cursor=cursor)


@routes.get("/tasks/{task_id}", roles=CALL_DATA, response=TaskOut)
async def get_task(request: web.Request, principal: Principal, task_id: int) -> TaskOut:
    """One callback task."""
    return _out(request, await _tasks(request).get(data_scope(principal), task_id))


@routes.post("/tasks/{task_id}/close", roles=CALL_DATA, response=TaskOut)
async def close_task(request: web.Request, principal: Principal, task_id: int) -> TaskOut:
    """Mark a task done by hand (it also closes itself when the number is reached)."""
    task = await _tasks(request).close(data_scope(principal), task_id, context(request).clock.now())
    return _out(request, task)


@routes.patch("/tasks/{task_id}", roles=ASSIGN, body=TaskAssignment, response=TaskOut)
async def reassign_task(request: web.Request, principal: Principal, task_id: int, body: TaskAssignment) -> TaskOut:
    """Give a task to another manager (the head of sales)."""
    return _out(request, await _tasks(request).reassign(data_scope(principal), task_id, body.manager_id))


class CallbackStarted(BaseModel):
    task_id: int
    extension: str = Field(description="The manager's phone, which rings first.")
    number: str = Field(description="What the trunk dials once the manager picks up.")
    action_id: str = Field(description="The AMI ActionID of the Originate.")


@routes.post("/tasks/{task_id}/call", roles=CALL_DATA, response=CallbackStarted, status=202, errors=(409, 503))
async def call_back(request: web.Request, principal: Principal, task_id: int) -> CallbackStarted:
    """Click-to-call: ring my phone, then the task's number (AMI Originate)."""
    ctx = context(request)
    await _tasks(request).get(data_scope(principal), task_id)  # 404 unless the task is visible to me
    if principal.manager_id is None:
        raise Conflict("this login has no phone: link it to a manager to call from it")
    try:
        callback = await ctx.click_to_call.call_back(task_id, principal.manager_id)
    except PbxUnavailable as error:
        raise ServiceUnavailable(error.reason) from None
    except ClickToCallError as error:
        raise Conflict(error.reason) from None
    return CallbackStarted(**asdict(callback))
