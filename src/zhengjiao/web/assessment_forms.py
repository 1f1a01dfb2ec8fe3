"""Forms of the assessment pages: they parse what a person typed, the operations and queries check it.

Field names follow the keyword names of the calls behind them, except where ``field_map`` says
otherwise, so that a ``DomainError.field`` lands on its field.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengjiao.assessment.reports import MAX_CHART_MONTHS
from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import parse_yuan
from zhengjiao.web.forms import RISK_CLASSES
from zhengjiao.web.labels import CATEGORY_LABELS
from zhengjiao.web.shortcuts import domain_message

PERIOD_WIDGET = forms.TextInput(attrs={"type": "month", "placeholder": "2025-07"})


class _RegionForm(forms.Form):
    def __init__(self, *args, region_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices


class StartRunForm(_RegionForm):
    period = forms.CharField(label=_("Period"), max_length=7, widget=PERIOD_WIDGET)
    region = forms.ChoiceField(label=_("Region"))
    employer = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "mono",
                "placeholder": _("optional: one employer, assessed at once"),
            }
        ),
    )


class PeriodRegionForm(_RegionForm):
    """A period and a region inside the reader's (collection plan, summary)."""

    period = forms.CharField(label=_("Period"), max_length=7, widget=PERIOD_WIDGET)
    region = forms.ChoiceField(label=_("Region"))


class ChartForm(_RegionForm):
    region = forms.ChoiceField(label=_("Region"))
    last = forms.CharField(label=_("Last month"), max_length=7, widget=PERIOD_WIDGET)
    months = forms.TypedChoiceField(
        label=_("Months"),
        coerce=int,
        choices=[(n, str(n)) for n in (6, 12, 24, MAX_CHART_MONTHS)],
        initial=12,
    )


class CalculatorForm(_RegionForm):
    region = forms.ChoiceField(label=_("Region"))
    period = forms.CharField(label=_("Period"), max_length=7, help_text=_("YYYY-MM"), widget=PERIOD_WIDGET)
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[(code, CATEGORY_LABELS[code]) for code in ("employee", "flexible")],
        widget=forms.RadioSelect,
        initial="employee",
    )
    wage_yuan = forms.CharField(
        label=_("Monthly wage (yuan)"),
        max_length=20,
        help_text=_("An employee's monthly wage, or the base a flexible worker chooses, e.g. 8,000.00."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    risk_class = forms.TypedChoiceField(
        label=_("Work-injury risk class"),
        choices=RISK_CLASSES,
        coerce=int,
        initial=1,
        help_text=_("Of the employer's industry, 1 to 8 (employees only)."),
    )

    # Calculator keyword → form field, where they differ.
    field_map = {"wage_fen": "wage_yuan", "region_code": "region"}

    def clean_wage_yuan(self) -> int:
        try:
            return parse_yuan(self.cleaned_data["wage_yuan"])
        except DomainError as error:
            raise forms.ValidationError(domain_message(error)) from None
