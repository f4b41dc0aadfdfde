"""Counter-based random streams: distribution, independence, naming."""

import numpy as np
import pytest

from xmmm.random import normals, stream_key, stream_keys, uniforms


def test_uniform_moments_and_open_interval():
    u = uniforms(stream_keys(1, "test", range(4)), 250_000)
    assert u.shape == (4, 250_000)
    assert 0.0 < u.min() and u.max() < 1.0
    np.testing.assert_allclose(u.mean(axis=1), 0.5, atol=0.003)
    np.testing.assert_allclose(u.var(axis=1), 1 / 12, rtol=0.01)


def test_normal_moments():
    z = normals(stream_keys(2, "test", range(3)), 200_000)
    np.testing.assert_allclose(z.mean(axis=1), 0.0, atol=0.01)
    np.testing.assert_allclose(z.std(axis=1), 1.0, rtol=0.01)
    assert abs(np.mean(z**3)) < 0.02 and np.mean(z**4) == pytest.approx(3.0, rel=0.03)


def test_streams_are_uncorrelated():
    z = normals(stream_keys(3, "test", [f"s{i}" for i in range(30)]), 20_000)
    corr = np.corrcoef(z)
    assert np.abs(corr[~np.eye(30, dtype=bool)]).max() < 0.04


def test_keys_depend_only_on_their_own_labels():
    a = stream_keys(5, "spend", ["geo_a", "geo_b"], ["TV", "Search"])
    b = stream_keys(5, "spend", ["geo_b"], ["Radio", "TV"])
    assert a[1, 0] == b[0, 1]
    assert stream_keys(5, "spend", ["geo_a"], ["TV"])[0, 0] != stream_keys(5, "noise", ["geo_a"], ["TV"])[0, 0]
    assert stream_keys(5, "spend", ["geo_a"], ["TV"])[0, 0] != stream_keys(6, "spend", ["geo_a"], ["TV"])[0, 0]


def test_replicate_axis_and_replicate_zero():
    keys = stream_keys(5, "spend", ["g"], replicates=[0, 1, 7])
    assert keys.shape == (3, 1)
    assert keys[0, 0] == stream_keys(5, "spend", ["g"])[0]
    assert keys[2, 0] == stream_keys(5, "spend", ["g"], replicates=[7])[0, 0]
    assert len(set(keys.ravel().tolist())) == 3


def test_draws_depend_on_key_and_index_only():
    keys = stream_keys(9, "test", ["a", "b"])
    long = uniforms(keys, 100)
    short = uniforms(keys[::-1], 10)
    np.testing.assert_array_equal(long[:, :10], short[::-1])


def test_labels_are_typed_so_1_and_1_text_differ():
    assert stream_key(1, 1) != stream_key(1, "1")
    assert stream_key(1, "a", "b") != stream_key(1, "ab")
