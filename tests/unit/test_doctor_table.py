"""doctor's table: one row per check, the detail and the fix wrapped to fit 100 columns."""

from __future__ import annotations

from ack_components import doctor, kinds

SERVED = "26 kinds: " + ", ".join(sorted(kinds.KINDS))
FIX = "ack-components rbac --namespace kubeflow-user-example-com --service-account <a> --apply"


def rows(text: str) -> dict[str, str]:
    """Each check's name → its detail column, continuation lines joined."""
    lines = text.splitlines()
    column = lines[0].index("DETAIL")
    found: dict[str, str] = {}
    for line in lines[1:]:
        if not line[:column].isspace():
            name = line[:column].rsplit(None, 1)[0].strip()
            found[name] = line[column:]
        else:
            found[name] += " " + line[column:]
    return found


def test_a_long_detail_and_its_fix_are_wrapped_under_the_detail_column() -> None:
    checks = [
        doctor.Check("API server reachable", doctor.OK, "Kubernetes v1.34.4"),
        doctor.Check("SageMaker CRDs installed", doctor.OK, SERVED),
        doctor.Check("permissions", doctor.FAIL, "missing: get on trainingjobs", FIX),
    ]
    text = doctor.table(checks)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert len(text.splitlines()) > 4  # wrapped, not one line per check
    assert rows(text) == {
        "API server reachable": "Kubernetes v1.34.4",
        "SageMaker CRDs installed": SERVED,
        "permissions": f"missing: get on trainingjobs fix: {FIX}",
    }
