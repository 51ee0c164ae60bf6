"""The CORS judgement of src/authprobe/oracle/cors.py, case by case."""

from __future__ import annotations

import pytest

from authprobe.oracle.cors import FOREIGN_ORIGIN, NULL_ORIGIN, shared_with


@pytest.mark.parametrize(("headers", "origin", "shared"), [
    ({}, FOREIGN_ORIGIN, False),
    ({"access-control-allow-origin": FOREIGN_ORIGIN}, FOREIGN_ORIGIN, False),  # no credentials
    ({"access-control-allow-origin": FOREIGN_ORIGIN, "access-control-allow-credentials": "true"},
     FOREIGN_ORIGIN, True),
    ({"access-control-allow-origin": "null", "access-control-allow-credentials": "TRUE"},
     NULL_ORIGIN, True),
    ({"access-control-allow-origin": "*", "access-control-allow-credentials": "true"},
     FOREIGN_ORIGIN, True),
    ({"access-control-allow-origin": "*"}, FOREIGN_ORIGIN, False),
    ({"access-control-allow-origin": "https://app.example", "access-control-allow-credentials": "true"},
     FOREIGN_ORIGIN, False),  # an allow-list naming only the app's own front end
])
def test_shared_only_when_the_origin_may_read_with_credentials(
    headers: dict[str, str], origin: str, shared: bool,
) -> None:
    assert (shared_with(headers, origin) is not None) is shared
