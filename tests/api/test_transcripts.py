"""Transcripts through the API: on the call card, search by words said,
queueing a call again, and the job queue's state, each for whom it is."""

from sqlalchemy import select

from jobs.queue import JobQueue
from storage.models import Recording, Transcript
from tests.api.conftest import add_call
from transcription.engine import Line, Word
from transcription.service import search_text

LINES = [
    Line("manager", 0.6, 4.8, "Здравствуйте, Северный парк, слушаю вас.", 0.91, (Word("Здравствуйте,", 0.6, 1.4, 0.9),)),
    Line("client", 5.1, 8.0, "Мне нужна 2-комнатная квартира.", 0.88, (Word("Мне", 5.1, 5.3, 0.95),)),
]


async def add_transcript(sessions, call_id: int, status: str = "done", lines=LINES) -> None:
    async with sessions() as session, session.begin():
        rows = [line.as_dict() for line in lines]
        session.add(Transcript(call_id=call_id, status=status, model="whisper-base", language="ru",
                               lines=rows, search_text=search_text(rows)))


async def test_the_card_shows_the_dialogue_to_those_who_see_the_call(api, sessions, department):
    call_id = await add_call(sessions, "a", answered_by=department.ivan)
    await add_transcript(sessions, call_id)
    card = await api.json("GET", f"/calls/{call_id}", "ivan")
    transcript = card["transcript"]
    assert transcript["status"] == "done" and transcript["model"] == "whisper-base"
    assert [(line["speaker"], line["start"], line["text"]) for line in transcript["lines"]] == [
        ("manager", 0.6, "Здравствуйте, Северный парк, слушаю вас."), ("client", 5.1, "Мне нужна 2-комнатная квартира.")]
    assert transcript["lines"][0]["words"] == [["Здравствуйте,", 0.6, 1.4, 0.9]]
    summary = (await api.json("GET", "/calls", "ivan"))["items"][0]
    assert summary["transcript_status"] == "done"
    assert (await api.call("GET", f"/calls/{call_id}", "olga")).status == 404


async def test_calls_are_found_by_words_said_in_any_spelling(api, sessions, department):
    flat = await add_call(sessions, "a", answered_by=department.ivan)
    await add_transcript(sessions, flat)
    other = await add_call(sessions, "b", answered_by=department.ivan)
    await add_transcript(sessions, other, lines=[Line("client", 1.0, 2.0, "Сколько стоит дом?", 0.9, ())])
    await add_call(sessions, "c", answered_by=department.ivan)  # no transcript

    async def found(q: str, user: str = "ivan") -> set[int]:
        return {c["id"] for c in (await api.json("GET", "/calls", user, params={"q": q}))["items"]}

    assert await found("двухкомнатная") == {flat}  # the transcript said "2-комнатная"
    assert await found("СЕВЕРНЫЙ парк") == {flat}
    assert await found("северн") == {flat}  # words match by their beginning
    assert await found("дом") == {other}
    assert await found("квартира дом") == set()  # every word must be said
    assert await found("100%_") == set()  # LIKE wildcards are plain text
    assert await found("дом", "olga") == set()  # not her calls
    response = await api.call("GET", "/calls", "ivan", params={"q": "x" * 201})
    assert response.status == 422


async def test_the_head_of_sales_queues_a_call_again(api, sessions, department):
    tracks = [{"role": "client", "key": "2026/11/23/a/a.wav", "channel": 0}]
    call_id = await add_call(sessions, "a", answered_by=department.ivan, recording="2026/11/23/a/a.wav")
    async with sessions() as session, session.begin():
        recording = await session.scalar(select(Recording).where(Recording.call_id == call_id))
        recording.tracks = tracks
    await add_transcript(sessions, call_id, status="failed")
    assert (await api.call("POST", f"/calls/{call_id}/transcript", "ivan")).status == 403
    assert await api.json("POST", f"/calls/{call_id}/transcript", "rop", status=202) == {"queued": True}
    card = await api.json("GET", f"/calls/{call_id}", "rop")
    assert card["transcript"]["status"] == "queued" and card["transcript"]["lines"] == []
    assert await api.json("POST", f"/calls/{call_id}/transcript", "rop", status=202) == {"queued": False}
    state = await api.json("GET", "/transcription/queue", "rop")
    assert (state["waiting"], state["running"], state["dead"], state["done_last_hour"]) == (1, 0, 0, 0)
    unrecorded = await add_call(sessions, "b", answered_by=department.ivan)
    assert (await api.call("POST", f"/calls/{unrecorded}/transcript", "rop")).status == 404


async def test_the_queue_state_is_for_the_head_of_sales_and_admins(api):
    assert (await api.call("GET", "/transcription/queue", "ivan")).status == 403
    assert (await api.call("GET", "/transcription/queue")).status == 401
    state = await api.json("GET", "/transcription/queue", "admin")
    assert state["dead_letters"] == [] and state["waiting"] == 0
    assert (await api.call("POST", "/transcription/dead-letters/1-0/retry", "admin")).status == 404
    assert (await api.call("POST", "/transcription/dead-letters/nonsense/retry", "admin")).status == 404


async def test_a_dead_letter_is_queued_again_by_its_stream_id(api, api_redis, settings):
    queue = JobQueue(api_redis, settings.transcription_stream, max_attempts=1)
    await queue.enqueue({"call_id": 7, "tracks": []})
    await queue.fail(await queue.claim("test"), "boom")
    (dead,) = (await api.json("GET", "/transcription/queue", "admin"))["dead_letters"]
    assert (dead["call_id"], dead["error"]) == (7, "boom") and "-" in dead["id"]
    assert await api.json("POST", f"/transcription/dead-letters/{dead['id']}/retry", "admin", status=202) == {
        "queued": True}
    state = await api.json("GET", "/transcription/queue", "admin")
    assert (state["dead"], state["waiting"], state["dead_letters"]) == (0, 1, [])
