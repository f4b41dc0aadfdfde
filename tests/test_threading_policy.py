"""The threading policy: which version of a kernel runs, from measured times; never what it computes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from xmmm.kernels._numba import POLICY, ThreadPolicy, set_parallel_mode

SIZE = 1_000_000


def run(policy: ThreadPolicy, calls: int, serial_s: float, parallel_s: float, key="k") -> list[bool]:
    """Drive the policy with fixed per-call times; the versions chosen, call by call."""
    chosen = []
    for _ in range(calls):
        parallel = policy.use_parallel(key, SIZE)
        chosen.append(parallel)
        policy.record(key, parallel, parallel_s if parallel else serial_s, SIZE)
    return chosen


def test_parallel_wins_when_measured_faster_and_serial_is_probed_now_and_then():
    chosen = run(ThreadPolicy(), 300, serial_s=0.010, parallel_s=0.005)
    assert chosen[0] is False and chosen[1] is True  # one measurement of each first
    assert sum(chosen) > 0.95 * len(chosen)
    probes = [i for i, p in enumerate(chosen) if not p][1:]
    gaps = np.diff(probes)
    assert (gaps[1:] >= gaps[:-1]).all() and gaps.max() <= 128 + 1  # probes ever rarer, up to the cap


def test_serial_wins_under_load_and_parallel_is_probed_ever_more_rarely():
    chosen = run(ThreadPolicy(), 300, serial_s=0.010, parallel_s=0.040)
    assert sum(chosen) <= 8  # a handful of probes in 300 calls
    assert not any(chosen[-100:]) or sum(chosen[-100:]) == 1


def test_the_choice_follows_a_change_of_load():
    policy = ThreadPolicy()
    run(policy, 100, serial_s=0.010, parallel_s=0.005)  # idle: parallel
    later = run(policy, 300, serial_s=0.010, parallel_s=0.050)  # a load arrives
    assert sum(later[:5]) >= 3 and sum(later[20:]) <= 4 and sum(later[-100:]) <= 1
    again = run(policy, 400, serial_s=0.010, parallel_s=0.005)  # and leaves: found by a probe
    assert sum(again[-100:]) >= 99


def test_a_margin_is_needed_to_go_parallel():
    chosen = run(ThreadPolicy(margin=1.15), 100, serial_s=0.010, parallel_s=0.0095)
    assert sum(chosen) <= 8


def test_short_calls_small_stacks_and_worker_threads_stay_serial():
    policy = ThreadPolicy()
    assert run(policy, 50, serial_s=0.0005, parallel_s=0.0001, key="short") == [False] * 50
    assert policy.use_parallel("small", policy.min_size - 1) is False
    forced = ThreadPolicy(mode="parallel")
    assert forced.use_parallel("k", SIZE) is True
    answers = []
    worker = threading.Thread(target=lambda: answers.append(forced.use_parallel("k", SIZE)))
    worker.start()
    worker.join()
    assert answers == [False]
    assert forced.measures(SIZE) is False and ThreadPolicy().measures(SIZE) is True


def test_modes_are_checked_and_restored():
    with pytest.raises(ValueError, match="parallel mode must be one of auto, serial, parallel; got 'fast'"):
        set_parallel_mode("fast")
    previous = set_parallel_mode("serial")
    try:
        assert POLICY.mode == "serial"
    finally:
        set_parallel_mode(previous)
    assert POLICY.mode == previous


def test_every_mode_gives_the_same_bits():
    # large enough for the parallel versions: adstock, Hill and normal draws in all three modes
    from xmmm.kernels import adstock, saturation
    from xmmm.random import normals, stream_keys

    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, 1.0, (400, 300))
    alpha, slope, kappa = rng.uniform(0.1, 0.9, 400), rng.uniform(0.5, 3, 400), rng.uniform(0.2, 2, 400)
    keys = stream_keys(1, "policy", range(400))
    results = {}
    previous = POLICY.mode
    try:
        for mode in ("serial", "parallel", "auto", "auto", "auto"):
            set_parallel_mode(mode)
            out = (adstock.geometric_adstock(x, alpha, l_max=12, normalize=True),
                   saturation.hill_function(x, slope, kappa), normals(keys, 300))
            results.setdefault(mode, []).append(out)
    finally:
        set_parallel_mode(previous)
    reference = results["serial"][0]
    for outs in results.values():
        for out in outs:
            for a, b in zip(out, reference, strict=True):
                assert np.array_equal(a.view(np.uint64), b.view(np.uint64))
