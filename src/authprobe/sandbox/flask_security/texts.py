"""Flask-Security-Too's SMS second factor through a gateway with Twilio's REST API.

Flask-Security sends texts through `SmsSenderFactory`, the extension point its documentation
names for any provider (SECURITY_SMS_SERVICE picks a registered sender). Its built-in Twilio
sender always talks to api.twilio.com, so this one is the same Twilio client pointed at the
gateway the app is configured with: here the local sink of src/authprobe/sandbox/smssink.py.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_security.utils import SmsSenderBaseClass, SmsSenderFactory
from twilio.rest import Client

SERVICE = "TwilioGateway"


class TwilioGatewaySender(SmsSenderBaseClass):
    def send_sms(self, from_number: str, to_number: str, msg: str) -> None:
        gateway: dict[str, Any] = current_app.config["SECURITY_SMS_SERVICE_CONFIG"]
        client = Client(gateway["ACCOUNT_SID"], gateway["AUTH_TOKEN"])
        client.api.base_url = gateway["API_URL"]
        client.messages.create(to=to_number, from_=from_number, body=msg)


def sms_settings(api_url: str, account_sid: str, auth_token: str) -> dict[str, Any]:
    """The Flask-Security settings that turn on texted codes as a second factor."""
    SmsSenderFactory.senders[SERVICE] = TwilioGatewaySender
    return {
        "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["authenticator", "sms"],
        "SECURITY_SMS_SERVICE": SERVICE,
        "SECURITY_SMS_SERVICE_CONFIG": {"ACCOUNT_SID": account_sid, "AUTH_TOKEN": auth_token,
                                        "PHONE_NUMBER": "+12015550100", "API_URL": api_url},
    }
