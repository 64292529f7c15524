"""An optional second factor for the admin (django-otp, TOTP): a staff user who has a confirmed authenticator
device must give its six-digit code with the password, and the admin lets them in only once the session is
verified by it; a user without a device logs in with the password alone. Devices are made with
``manage.py admin_totp <username>``, which prints the authenticator link once; the admin never shows a
device's key (``OTP_ADMIN_HIDE_SENSITIVE_DATA``).
"""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django_otp import devices_for_user, user_has_device
from django_otp.forms import OTPAuthenticationFormMixin


class AdminLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    # One device per user: no device picker, no challenge (TOTP has none).
    otp_device = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_challenge = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_token = forms.CharField(
        required=False,
        label="Authentication code",
        help_text="Only if you set up an authenticator app.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}),
    )

    def _chosen_device(self, user: Any) -> Any:
        # The user's own confirmed device, never one named by the form (that could be another user's).
        return next(iter(devices_for_user(user, confirmed=True, for_verify=True)), None)

    def clean(self) -> dict[str, Any]:
        # The password first (authenticate(): the lockout counts a wrong one), then the code where one is set up.
        cleaned: dict[str, Any] = super().clean()
        user = self.get_user()
        if user is not None and user_has_device(user):
            self.clean_otp(user)
        return cleaned


def second_factor_satisfied(request: HttpRequest) -> bool:
    """A user with a confirmed device must be verified in this session; others need not be."""
    user = request.user
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return True
    return not user_has_device(user)
