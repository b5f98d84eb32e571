"""Drawing a training sample: which calls fit, at random with a seed, each manager's best and worst."""

from training.sampling import Candidate, Criteria, Pick, at_random, best_and_worst


def call(call_id: int, manager: int = 1, score: float = 50.0, talk: float = 120.0, direction: str = "inbound",
         missed: tuple[str, ...] = ()) -> Candidate:
    return Candidate(call_id, manager, direction, talk, score, frozenset(missed))


def test_criteria_keep_the_calls_that_fit_every_condition():
    calls = [
        call(1, manager=1, score=40, missed=("greeting",)),
        call(2, manager=2, score=40, missed=("greeting",)),
        call(3, manager=1, score=90, missed=("greeting",)),
        call(4, manager=1, score=40, missed=("farewell",)),
        call(5, manager=1, score=40, missed=("greeting",), talk=20),
        call(6, manager=1, score=40, missed=("greeting", "name"), direction="outbound"),
        call(7, manager=1, score=50, missed=("name",)),
    ]
    criteria = Criteria(managers=frozenset({1}), score_min=30, score_max=50, missed_any=frozenset({"greeting", "name"}),
                        min_seconds=60, max_seconds=600, direction="inbound")
    assert [c.call_id for c in calls if criteria.fits(c)] == [1, 7]
    assert all(Criteria().fits(c) for c in calls)  # no conditions: everything fits


def test_the_score_band_includes_its_ends():
    band = Criteria(score_min=50, score_max=70)
    assert [band.fits(call(1, score=s)) for s in (49.9, 50, 70, 70.1)] == [False, True, True, False]


def test_a_random_draw_is_repeatable_with_a_seed_and_takes_all_when_there_are_few():
    calls = [call(i) for i in range(100)]
    first = at_random(calls, 10, seed=7)
    assert [d.call.call_id for d in first] == [d.call.call_id for d in at_random(calls, 10, seed=7)]
    assert len({d.call.call_id for d in first}) == 10 and {d.pick for d in first} == {Pick.RANDOM}
    other_seeds = {tuple(d.call.call_id for d in at_random(calls, 10, seed=seed)) for seed in range(5)}
    assert len(other_seeds) == 5
    assert sorted(d.call.call_id for d in at_random(calls[:3], 10)) == [0, 1, 2]
    assert at_random([], 5) == []


def test_best_and_worst_per_manager():
    calls = [call(i, manager=1, score=s) for i, s in enumerate((10, 90, 50, 70, 30))] + [
        call(10, manager=2, score=80), call(11, manager=2, score=20), call(12, manager=2, score=80)]
    drawn = [(d.call.call_id, d.pick) for d in best_and_worst(calls, 2)]
    assert drawn == [
        (1, Pick.BEST), (3, Pick.BEST), (0, Pick.WORST), (4, Pick.WORST),  # manager 1: 90, 70 | 10, 30
        (10, Pick.BEST), (12, Pick.BEST), (11, Pick.WORST),  # manager 2: ties by call id; only one left for worst
    ]


def test_a_manager_with_one_call_gives_it_once_as_the_best():
    assert [(d.call.call_id, d.pick) for d in best_and_worst([call(5)], 3)] == [(5, Pick.BEST)]
