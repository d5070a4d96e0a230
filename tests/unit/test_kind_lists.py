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


def test_each_kind_is_granted_in_its_own_api_group() -> None:
    """`rbac --kinds TrainingJob,PyTorchJob`: pytorchjobs under kubeflow.org (not SageMaker's
    group), and the pods and pod logs the step prints for it."""
    from ack_components import rbac

    found = rbac.rules(kinds.parse_list("PyTorchJob,TrainingJob"))
    assert [(r["apiGroups"], r["resources"]) for r in found] == [
        ([kinds.GROUP], ["trainingjobs"]),
        (["kubeflow.org"], ["pytorchjobs"]),
        ([""], ["pods"]),
        ([""], ["pods/log"]),
    ]
    assert [r["verbs"] for r in found[2:]] == [["get", "list"], ["get"]]
    assert rbac.rules([kinds.TRAINING_JOB]) == found[:1]  # no pods without a cluster kind


def test_the_rbac_help_names_the_platform_kinds_from_the_table() -> None:
    import contextlib
    import io

    from ack_components import rbac

    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), pytest.raises(SystemExit):
        rbac.main(["--help"])
    text = " ".join(shown.getvalue().split())
    assert all(name in text for name in PLATFORM)
