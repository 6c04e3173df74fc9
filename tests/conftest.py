"""Shared test configuration: a hypothesis profile without deadlines (CI machines are slow and
shared) that is derandomized under CI so that two runs test the same examples."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "nnbook",
    deadline=None,
    max_examples=50,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
)
settings.load_profile("nnbook")


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator for every test."""
    return np.random.default_rng(20261121)
