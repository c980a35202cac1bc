import datetime

from django import forms
from django.utils import timezone

from .models import Outreach, OutreachKind

FOLLOW_UP_PRESETS = [("", "Pick a day…"), ("1", "Tomorrow"), ("3", "In 3 days"),
                     ("7", "In 1 week"), ("14", "In 2 weeks"), ("30", "In a month")]


class OutreachForm(forms.ModelForm):
    """Log (or edit) a contact attempt. Dates are checked by the outreach services."""

    happened_at = forms.DateTimeField(
        label="When", widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                 format="%Y-%m-%dT%H:%M"))
    follow_up_in = forms.ChoiceField(
        label="Follow up", choices=FOLLOW_UP_PRESETS, required=False,
        widget=forms.Select(attrs={"data-follow-up-preset": ""}),
        help_text="Or choose the exact day.")

    class Meta:
        model = Outreach
        fields = ["kind", "happened_at", "notes", "follow_up_on"]
        labels = {"follow_up_on": "Follow up on"}
        widgets = {
            "kind": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3, "placeholder": "What happened?"}),
            "follow_up_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = OutreachKind.objects.all()
        self.fields["kind"].empty_label = None
        if not self.instance.pk:
            self.initial.setdefault("kind", OutreachKind.objects.values_list(
                "pk", flat=True).first())
            self.initial.setdefault("happened_at", timezone.localtime().replace(
                second=0, microsecond=0))

    def clean(self):
        data = super().clean()
        # Without JavaScript the preset is all we get: turn it into the date.
        if data.get("follow_up_in") and not data.get("follow_up_on"):
            data["follow_up_on"] = timezone.localdate() + datetime.timedelta(
                days=int(data["follow_up_in"]))
        return data

    def _post_clean(self) -> None:
        pass  # the outreach services validate

    def service_fields(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("kind", "notes", "happened_at",
                                                   "follow_up_on")}


class RescheduleForm(forms.Form):
    follow_up_on = forms.DateField(label="New follow-up date",
                                   widget=forms.DateInput(attrs={"type": "date"}))
