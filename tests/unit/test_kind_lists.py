"""``--kinds`` for rbac and doctor: names, ``all``, or the kinds granted by default."""

from __future__ import annotations

import pytest

from ack_components import kinds

PLATFORM = {"Domain", "UserProfile", "Space", "App", "NotebookInstance", "Project"}
PLATFORM |= {"NotebookInstanceLifecycleConfig"}


def test_empty_means_every_kind_but_the_platform_ones() -> None:
    default = {k.name for k in kinds.parse_list("")}
    assert default == set(kinds.KINDS) - PLATFORM


def test_all_and_names() -> None:
    assert kinds.parse_list("all") == list(kinds.KINDS.values())
    assert kinds.parse_list(" TrainingJob , Domain ") == [kinds.TRAINING_JOB, kinds.DOMAIN]


def test_an_unknown_kind_is_named() -> None:
    with pytest.raises(KeyError, match="unknown kind 'Trainingjob'"):
        kinds.parse_list("Trainingjob")
