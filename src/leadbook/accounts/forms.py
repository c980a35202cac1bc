from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_text_html

from .models import Role, User


class SetupForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(
        attrs={"autocomplete": "username", "autofocus": True}))
    email = forms.EmailField(required=False, help_text="For password resets and follow-up "
                                                        "reminders.")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}), help_text=password_validators_help_text_html())
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, widget=forms.RadioSelect,
                             help_text="Admin: settings and users. Member: all lead work. "
                                       "Viewer: read only.")
    password = forms.CharField(
        required=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to email them a link to choose their own.",
    )

    def clean(self):
        data = super().clean()
        if not data.get("password") and not data.get("email"):
            self.add_error("password", "Set a password, or give an email address to send a "
                                       "set-password link to.")
        return data


class UserEditForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=Role.choices, widget=forms.RadioSelect)
    is_active = forms.BooleanField(required=False, label="Can sign in",
                                   help_text="Untick to deactivate: their leads stay.")

    @classmethod
    def for_user(cls, user: User, data=None) -> "UserEditForm":
        return cls(data, initial={f: getattr(user, f) for f in cls.base_fields})


class ThrottledAuthenticationForm(AuthenticationForm):
    """Sign-in that stops answering after repeated failures for one username or one address,
    for a quarter of an hour, so passwords cannot be guessed quickly."""

    def clean(self):
        from leadbook.audit.services import client_ip, sign_in_blocked

        if sign_in_blocked(username=self.data.get("username", ""), ip=client_ip(self.request)):
            raise forms.ValidationError(
                "Too many failed sign-ins. Wait 15 minutes, or reset your password.",
                code="throttled")
        return super().clean()


class ApiTokenForm(forms.Form):
    """A new API token: what it is for, and how long it works."""

    EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"),
                      ("never", "Never")]

    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “Zapier” or "
                                                     "“Website sync”.")
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", label="Expires")

    def expires_at(self):
        import datetime

        from django.utils import timezone

        days = self.cleaned_data["expires"]
        return None if days == "never" else timezone.now() + datetime.timedelta(days=int(days))
