"""Web forms: they parse what a person typed into typed values, nothing more.

Every domain check (USCC check character, id number, region, overlaps, duplicates) is made by the
operation the view calls; its ``DomainError`` is put back on the field it names. Field names are
the operation's keyword names so that ``DomainError.field`` finds its field.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengjiao.web.labels import CATEGORY_LABELS, INSURANCE_TYPE_LABELS, UNIT_TYPE_LABELS

RISK_CLASSES = [(n, str(n)) for n in range(1, 9)]
PPM_PER_PERCENT = 10_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _choices(labels: dict) -> list[tuple[str, str]]:
    return [(code, label) for code, label in labels.items()]


class RegionField(forms.ChoiceField):
    """A region picked from the regions the user may register in (set by the form)."""


class EmployerRegistrationForm(forms.Form):
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        help_text=_("18 characters, the last one a check character (GB 32100-2015)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )
    name = forms.CharField(label=_("Employer name"), max_length=200)
    region_code = RegionField(label=_("Region"))
    unit_type = forms.ChoiceField(label=_("Unit type"), choices=_choices(UNIT_TYPE_LABELS))
    industry_code = forms.CharField(
        label=_("Industry code"), required=False, max_length=5, help_text=_("GB/T 4754, e.g. C13 or I6510.")
    )
    risk_class = forms.TypedChoiceField(
        label=_("Work-injury risk class"), choices=RISK_CLASSES, coerce=int, initial=1
    )
    floating_rate_percent = forms.IntegerField(
        label=_("Work-injury floating rate (%)"),
        initial=100,
        help_text=_("Percentage of the class rate, 50 to 150."),
    )
    established_on = forms.DateField(label=_("Date set up"), widget=DateInput())
    registered_on = forms.DateField(label=_("Registration date"), widget=DateInput())
    bank_name = forms.CharField(label=_("Bank"), required=False, max_length=100)
    bank_account = forms.CharField(
        label=_("Bank account for withholding"), required=False, max_length=40, help_text=_("Digits only.")
    )
    uscc_vouched = forms.BooleanField(
        label=_("The registering authority vouches for this code (early pilot code)"), required=False
    )

    # Operation keyword → form field, where they differ.
    field_map = {"floating_rate_ppm": "floating_rate_percent"}

    def __init__(self, *args, region_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices

    def operation_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data["floating_rate_ppm"] = data.pop("floating_rate_percent") * PPM_PER_PERCENT
        return data


class PersonRegistrationForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=40,
        help_text=_("18 characters (a 15-digit number is converted); sex and birth date are taken from it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    region_code = RegionField(label=_("Insured region"))
    hukou_region_code = forms.CharField(
        label=_("Household registration region"),
        required=False,
        max_length=6,
        help_text=_("Six-digit region code; may be outside Jiangsu."),
    )
    registered_on = forms.DateField(label=_("Registration date"), widget=DateInput())

    field_map: dict[str, str] = {}

    def __init__(self, *args, region_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices

    def operation_arguments(self) -> dict:
        return dict(self.cleaned_data)


class EmploymentForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID number"), max_length=40, widget=forms.TextInput(attrs={"class": "mono"})
    )
    uscc = forms.CharField(
        label=_("Unified social credit code"), max_length=40, widget=forms.TextInput(attrs={"class": "mono"})
    )
    start = forms.DateField(label=_("First day of work"), widget=DateInput())
    registered_on = forms.DateField(label=_("Registration date"), widget=DateInput())

    field_map: dict[str, str] = {}

    def operation_arguments(self) -> dict:
        return dict(self.cleaned_data)


class EnrollmentForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID number"), max_length=40, widget=forms.TextInput(attrs={"class": "mono"})
    )
    insurance_type = forms.ChoiceField(label=_("Insurance type"), choices=_choices(INSURANCE_TYPE_LABELS))
    category = forms.ChoiceField(label=_("Category"), choices=_choices(CATEGORY_LABELS))
    uscc = forms.CharField(
        label=_("Employer USCC"),
        required=False,
        max_length=40,
        help_text=_("Only for employees."),
        widget=forms.TextInput(attrs={"class": "mono"}),
    )
    start = forms.DateField(label=_("Start date"), widget=DateInput())
    chosen_base_yuan = forms.DecimalField(
        label=_("Chosen monthly base (yuan)"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("Only for flexible workers."),
    )

    field_map = {"chosen_base_fen": "chosen_base_yuan"}

    def operation_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        base = data.pop("chosen_base_yuan")
        data["chosen_base_fen"] = int(base * 100) if base is not None else None
        data["uscc"] = data["uscc"] or None
        return data


class UnmaskForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for viewing the full number"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. verifying identity for a benefit claim")}),
    )


class PolicySnapshotForm(forms.Form):
    region = RegionField(label=_("Region"))
    period = forms.CharField(label=_("Period"), max_length=7, help_text=_("YYYY-MM"))

    def __init__(self, *args, region_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices
