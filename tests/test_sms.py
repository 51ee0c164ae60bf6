"""The SMS channel: the sink speaks Twilio's REST API (as Twilio's own client sees it), the test
phone reads and consumes texts from it, and the sandbox activates and signs in by text."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from pydantic import SecretStr
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client as TwilioClient

from authprobe.errors import ConfigError, SmsConfigError, WaitTimeout
from authprobe.oob.sms import Phone
from tests.test_sandbox import PASSWORD, SMS_SID, SMS_TOKEN, Server, User, make_server, sms, smtp  # noqa: F401


def _sender(phone: Phone, token: str = SMS_TOKEN) -> TwilioClient:
    client = TwilioClient(SMS_SID, token)
    client.api.base_url = phone.api_url
    return client


def test_the_sink_takes_what_twilio_sends_and_lists_it_newest_first_in_pages(
        sms: Phone) -> None:  # noqa: F811
    number = sms.number()
    sender = _sender(sms)
    sent = [sender.messages.create(to=number, from_="+15005550006", body=f"text {n}") for n in range(5)]
    assert all(re.fullmatch(r"SM[0-9a-f]{32}", m.sid) for m in sent)
    assert sent[0].status == "delivered" and sent[0].direction == "outbound-api"
    listed = sender.messages.list(to=number, page_size=2)  # three pages, followed by the client
    assert [m.body for m in listed] == [f"text {n}" for n in reversed(range(5))]
    assert sender.messages(sent[0].sid).fetch().body == "text 0"
    assert sender.messages(sent[0].sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        sender.messages(sent[0].sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)


@pytest.mark.parametrize(("fields", "code"), [
    ({"to": "555-1234", "from_": "+15005550006", "body": "x"}, 21211),
    ({"to": "+15551234567", "from_": "+15005550006", "body": ""}, 21602),
    ({"to": "+15551234567", "from_": "+15005550006", "body": "x" * 1601}, 21617),
])
def test_the_sink_refuses_what_twilio_refuses_with_its_codes(
        sms: Phone, fields: dict[str, str], code: int) -> None:  # noqa: F811
    with pytest.raises(TwilioRestException) as refused:
        _sender(sms).messages.create(**fields)
    assert (refused.value.status, refused.value.code) == (400, code)


def test_the_sink_answers_no_one_without_the_account_token(sms: Phone) -> None:  # noqa: F811
    with pytest.raises(TwilioRestException) as refused:
        _sender(sms, token="wrong").messages.create(to=sms.number(), from_="+15005550006", body="x")
    assert (refused.value.status, refused.value.code) == (401, 20003)


def test_the_phone_waits_for_its_own_number_and_uses_each_text_once(sms: Phone) -> None:  # noqa: F811
    mine, other = sms.number(), sms.number()
    assert mine != other and re.fullmatch(r"\+1555\d{7}", mine)
    sender = _sender(sms)
    sender.messages.create(to=other, from_="+15005550006", body="Your code is 111111.")
    sender.messages.create(to=mine, from_="+15005550006", body="Welcome!")
    sender.messages.create(to=mine, from_="+15005550006",
                           body="Your code is 482913. Or open https://app.test/verify?c=482913.")
    text = sms.wait_for(to=mine, containing="code", timeout=2)
    assert text.code() == "482913" and text.links() == ["https://app.test/verify?c=482913"]
    assert sms.wait_for(to=mine, timeout=2).body == "Welcome!"
    for body in ("sent first", "sent second"):  # within one second: the dates cannot tell
        sender.messages.create(to=mine, from_="+15005550006", body=body)
    assert [sms.wait_for(to=mine, timeout=2).body for _ in range(2)] == ["sent first", "sent second"]
    with pytest.raises(WaitTimeout, match=r"No text message to \+1555\d+ arrived within 0.3s \(none"):
        sms.wait_for(to=mine, timeout=0.3)
    with pytest.raises(AssertionError, match="111111"):
        sms.assert_none(to=other, within=0.2)


def test_the_phone_says_in_one_sentence_what_is_wrong_with_the_gateway(
        sms: Phone) -> None:  # noqa: F811
    with pytest.raises(SmsConfigError, match="refused account .* E2E_SMS_ACCOUNT_SID and E2E_SMS_AUTH_TOKEN"):
        Phone(sms.api_url, SMS_SID, SecretStr("wrong")).check()
    started = time.monotonic()
    with pytest.raises(SmsConfigError, match="Cannot reach the SMS gateway at http://127.0.0.1:9"):
        Phone("http://127.0.0.1:9", SMS_SID, SecretStr(SMS_TOKEN)).check()
    assert time.monotonic() - started < 5
    with pytest.raises(ConfigError, match="E2E_PHONE_PREFIX"):
        Phone(sms.api_url, SMS_SID, SecretStr(SMS_TOKEN), prefix="0044")


def test_signup_with_a_number_activates_by_the_texted_code_only(
        make_server: Callable[..., Server]) -> None:  # noqa: F811
    s = make_server()
    client, number = s.client(), s.phone.number()
    email = "qa+sms-signup@sandbox.test"
    asked = client.submit("/signup", email=email, password=PASSWORD, phone=number)
    assert (asked.status, asked.page_id) == (200, "sms-activation") and not s.mail.to(email)
    code = s.texted_code(number)
    assert s.login(User(email, PASSWORD))[1].status == 400  # not active yet
    assert client.submit("/signup", "/activate/sms", email=email, code="000000").status == 400
    done = client.submit("/signup", "/activate/sms", email=email, code=code)
    assert (done.status, done.page_id) == (200, "activation")
    assert s.login(User(email, PASSWORD))[1].location == "/account"
    bad = client.submit("/signup", email="qa+sms-bad@sandbox.test", password=PASSWORD, phone="12")
    assert bad.status == 400 and "international format" in bad.text


def test_text_codes_sign_in_once_each_and_resends_stop_at_the_limit(
        make_server: Callable[..., Server]) -> None:  # noqa: F811
    s = make_server()
    user, number = s.sms_user()
    client, resp = s.login(user)
    assert resp.location == "/login/mfa"
    challenge = client.get("/login/mfa")
    assert "We sent a code by text message to •••• " + number[-4:] in challenge.text
    assert client.submit("/login/mfa", code="000000").status == 400
    resends = [client.submit("/login/mfa", "/login/mfa/resend").status for _ in range(3)]
    assert resends == [200, 200, 429]  # the first code and two resends per window
    codes = [s.texted_code(number) for _ in range(3)]
    assert client.submit("/login/mfa", code=codes[0]).location == "/account"
    assert client.session()["authenticated"] is True


def test_the_sms_token_of_a_target_the_run_started_is_one_of_the_runs_secrets() -> None:
    from authprobe.security.hygiene import redact, run_secrets
    from authprobe.settings import Settings
    from authprobe.target.app import Target

    token = SecretStr("sms-" + "x" * 20)
    target = Target("http://127.0.0.1:1", "127.0.0.1", 1, "qa@sandbox.test", SecretStr("imap"),
                    False, "qa@sandbox.test", None, None, sms_api_url="http://127.0.0.1:2",
                    sms_account_sid=SMS_SID, sms_auth_token=token)
    found = run_secrets(Settings(_env_file=None), target)  # type: ignore[call-arg]
    assert found["E2E_SMS_AUTH_TOKEN"] is token
    assert redact(f"Basic auth {token.get_secret_value()}", found) == "Basic auth [E2E_SMS_AUTH_TOKEN]"
