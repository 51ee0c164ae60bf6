"""A signed-in user's answers are never shared with another origin (CORS), nor admitted by a
preflight: otherwise any page the user visits could read their session and role data.

Each authenticated JSON endpoint of the profile (the session endpoint, its roles endpoint,
every role-protected API) is asked with the cookies of a user allowed to read it and an
Origin no real site can hold, then with Origin `null`; src/authprobe/oracle/cors.py judges the answers.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from authprobe.errors import ProvisioningUnavailable
from authprobe.oracle.cors import FOREIGN_ORIGIN, NULL_ORIGIN, shared_with
from authprobe.profile import TargetProfile
from authprobe.testing import SignedInPage

pytestmark = pytest.mark.sessions


@pytest.mark.severity1
def test_signed_in_answers_are_never_shared_with_a_foreign_origin(
    authprobe_signed_in: SignedInPage, authprobe_profile: TargetProfile,
) -> None:
    pages: dict[str, Page] = {}

    def page_of(role: str) -> tuple[Page, str]:
        """A page signed in as `role`; as the default role where the run cannot make that role
        (sign-up alone makes only default users): a CORS layer answers before the role check."""
        if role not in pages:
            try:
                pages[role] = authprobe_signed_in(role)[0]
            except ProvisioningUnavailable:
                if role == authprobe_profile.roles.default:
                    raise
                return page_of(authprobe_profile.roles.default)
        return pages[role], role

    problems: list[str] = []
    for path, wanted in authprobe_profile.authorising_endpoints():
        page, role = page_of(wanted)
        request = page.request
        for origin in (FOREIGN_ORIGIN, NULL_ORIGIN):
            answer = request.get(path, headers={"Origin": origin}, max_redirects=0)
            if path == authprobe_profile.session_probe.url:
                assert answer.status not in authprobe_profile.session_probe.signed_out_status, (
                    f"the {role} user's cookies did not sign the request to {path} in "
                    f"(status {answer.status}), so its cross-origin answer says nothing")
            how = shared_with(answer.headers, origin)
            if how:
                problems.append(f"GET {path} (as {role}) from Origin {origin}: {how}")
            preflight = request.fetch(path, method="OPTIONS", max_redirects=0, headers={
                "Origin": origin, "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "content-type"})
            how = shared_with(preflight.headers, origin)
            if how:
                problems.append(f"preflight of PUT {path} from Origin {origin}: {how}")
    assert not problems, (
        "a page on another origin could read a signed-in user's answers (or send credentialed "
        "writes) because these endpoints share them:\n  " + "\n  ".join(problems))
