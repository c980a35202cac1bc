from django import forms

from leadbook.accounts.models import User

from .models import Lead, LeadType, Source, Status
from .services import EDITABLE_FIELDS


class LeadForm(forms.ModelForm):
    """Add and edit a lead. Validation beyond the fields is left to the lead services, so the
    form, the API and the importer apply the same rules."""

    lead_types = forms.ModelMultipleChoiceField(
        queryset=LeadType.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Lead type",
    )
    # The version the editor started from; a save based on an older one is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Ids of the likely duplicates the user has seen and chose to "Save anyway" beside.
    confirm_duplicates = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Lead
        fields = [
            "name", "first_name", "last_name", "company", "position",
            "email", "phone", "instagram", "website",
            "address", "city", "state", "postal_code", "country",
            "status", "temperature", "source", "owner", "collab_type", "followers", "notes",
        ]
        labels = {
            "first_name": "First name", "last_name": "Last name", "postal_code": "Postal code",
            "collab_type": "Collab type", "instagram": "Instagram",
        }
        help_texts = {
            "name": "Person or business. Left blank, it is made from the first and last name.",
            "instagram": "@handle, handle or a profile link.",
            "website": "example.com or a full link.",
        }
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "temperature": forms.RadioSelect,
            "followers": forms.NumberInput(attrs={"min": 0}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["status"].queryset = Status.objects.all()
        self.fields["status"].empty_label = None
        self.fields["source"].queryset = Source.objects.all()
        self.fields["source"].empty_label = "—"
        self.fields["owner"].queryset = User.objects.filter(is_active=True)
        self.fields["owner"].empty_label = "Nobody"
        self.fields["owner"].label_from_instance = lambda u: u.display_name
        self.fields["lead_types"].label_from_instance = lambda t: t.name
        if self.instance.pk:
            self.fields["lead_types"].initial = list(self.instance.lead_types.all())
            self.fields["version"].initial = self.instance.version

    def _post_clean(self) -> None:
        # Model validation runs once, in the lead services; the form only checks its fields.
        pass

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in EDITABLE_FIELDS}

    def collab_types(self) -> list[int]:
        """Ids of the lead types that convert to a collab: they show the collab fields."""
        return [t.pk for t in self.fields["lead_types"].queryset if t.target == "collab"]
