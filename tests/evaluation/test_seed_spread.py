"""Spread over seeds and paired differences against hand computations."""
import math
import statistics

import pytest

from jointdepthseg.evaluation.seed_spread import (mean_std, paired_stat,
                                                  seed_stat, verdict)


def test_mean_std_is_the_sample_std():
    mean, std = mean_std([38.5, 38.9, 38.2])
    # by hand: mean 115.6 / 3; squared deviations 0.00111, 0.13444, 0.11111
    assert mean == pytest.approx(38.533333, abs=1e-6)
    assert std == pytest.approx(math.sqrt(0.246667 / 2), abs=1e-5)
    assert std == pytest.approx(statistics.stdev([38.5, 38.9, 38.2]))
    assert mean_std([3.0])[0] == 3.0 and math.isnan(mean_std([3.0])[1])
    assert all(math.isnan(v) for v in mean_std([]))


def test_verdict_both_sides_of_the_rule():
    assert verdict(1.0, 1.0, 3) == 'no difference'  # |mean| = std
    assert verdict(-1.0001, 1.0, 3) == 'difference'
    assert verdict(0.5, 1.0, 3) == 'no difference'
    assert verdict(5.0, math.nan, 1) == 'undetermined'
    assert verdict(0.0, 0.0, 3) == 'no difference'


def test_seed_stat_keeps_missing_seeds_out_of_the_numbers():
    result = seed_stat({0: 1.0, 1: None, 2: 3.0})
    assert result == dict(per_seed={'0': 1.0, '1': None, '2': 3.0},
                          mean=2.0, std=pytest.approx(math.sqrt(2)), n=2)
    assert seed_stat({0: 4.0}) == dict(per_seed={'0': 4.0}, mean=4.0,
                                       std=None, n=1)  # JSON: no NaN


def test_paired_stat_by_hand():
    result = paired_stat({0: 52.0, 1: 53.0, 2: 54.5},
                         {0: 50.0, 1: 50.5, 2: 51.0})
    assert result['per_seed'] == {'0': 2.0, '1': 2.5, '2': 3.5}
    assert result['mean'] == pytest.approx(8 / 3)
    # deviations -2/3, -1/6, 5/6: sum of squares 7/6, / 2
    assert result['std'] == pytest.approx(math.sqrt(7 / 12))
    assert result['positive_seeds'] == 3 and result['n'] == 3
    assert result['verdict'] == 'difference'
    # a seed missing on one side is left out of the pairs
    partial = paired_stat({0: 1.0, 1: 2.0, 2: None}, {0: 0.0, 1: 0.0})
    assert partial['n'] == 2 and partial['mean'] == 1.5
