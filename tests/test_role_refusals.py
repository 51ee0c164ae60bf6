"""What the role checks count as a refusal: 401/403/404, or a redirect to the app's sign-in
or to a page the profile names (`refused_by_redirect_to`); any other redirect is served."""

from __future__ import annotations

import pytest

from authprobe.e2e.test_roles import _backend_refused
from authprobe.flows.access import DirectRequest
from authprobe.profile import Resource, TargetProfile

PROFILE = TargetProfile.model_validate({"name": "t", "paths": {"login": "/accounts/login/"}})
ADMIN = Resource(path="/admin/", kind="page", allowed=["admin"],
                 refused_by_redirect_to=["/admin/login/"])
PLAIN = Resource(path="/admin/", kind="page", allowed=["admin"])


@pytest.mark.parametrize(("status", "location", "resource", "refused"), [
    (403, None, PLAIN, True),
    (302, "/accounts/login/?next=/admin/", PLAIN, True),
    (302, "/admin/login/?next=/admin/", PLAIN, False),  # Django's admin, not stated: served
    (302, "/admin/login/?next=/admin/", ADMIN, True),  # stated in the profile: refused
    (302, "/elsewhere/", ADMIN, False),
    (200, None, ADMIN, False),
])  # fmt: skip
def test_a_redirect_is_a_refusal_only_to_the_sign_in_or_a_stated_page(
        status: int, location: str | None, resource: Resource, refused: bool) -> None:
    answer = DirectRequest(path="/admin/", status=status, location=location, body="")
    assert _backend_refused(answer, PROFILE, resource) is refused
