from django import forms

from .models import EVENT_CHOICES, Webhook


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https",
                         help_text="Leadbook POSTs JSON here, signed with the secret.",
                         widget=forms.URLInput(
                             attrs={"placeholder": "https://example.com/hooks/leadbook"}))
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple,
                                       help_text="Leadbook POSTs to the URL when one of these "
                                                 "happens.")

    class Meta:
        model = Webhook
        fields = ["url", "events", "description", "is_active"]

    def _post_clean(self) -> None:
        # Validation beyond the fields is the services' job.
        pass
