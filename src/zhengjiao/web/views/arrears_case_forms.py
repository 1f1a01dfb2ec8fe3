"""The forms of an enforcement case (``arrears_cases``): they parse what an officer typed into the
operations' arguments — yuan into fen, a multiple into ppm, instalment lines into (date, fen) — and
nothing more; the operations in ``arrears.enforcement`` and ``arrears.relief`` judge. Field names
follow the operations' keywords, or ``field_map`` says which field a keyword's refusal belongs on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import parse_yuan
from zhengjiao.web.forms import DateInput
from zhengjiao.web.labels import CASE_STEP_LABELS, CLOSING_REASON_LABELS, GUARANTEE_LABELS
from zhengjiao.web.shortcuts import domain_message

PPM = 1_000_000


class AdvanceForm(forms.Form):
    to_step = forms.ChoiceField(label=gettext_lazy("Move on to"))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)

    def __init__(self, *args, steps: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = [(s, CASE_STEP_LABELS[s]) for s in steps]


class PauseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for pausing"), max_length=200)


class ResumeForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Closing reason"), choices=list(CLOSING_REASON_LABELS.items())
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


class AssignForm(forms.Form):
    assignee = forms.CharField(
        label=gettext_lazy("Tax officer (user name)"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Empty: nobody (the case goes back to the unassigned ones)."),
    )


def _yuan_field(value: str) -> int:
    try:
        return parse_yuan(value)
    except DomainError as error:
        raise forms.ValidationError(domain_message(error)) from None


class AgreementForm(forms.Form):
    """A guarantee and deferred-payment agreement (SIL art. 63; the notice, part 2)."""

    guarantee_kind = forms.ChoiceField(
        label=gettext_lazy("Guarantee"), choices=list(GUARANTEE_LABELS.items())
    )
    collateral = forms.CharField(label=gettext_lazy("Collateral"), max_length=500)
    collateral_value = forms.CharField(
        label=gettext_lazy("Value of the collateral (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    starts_on = forms.DateField(label=gettext_lazy("Agreement starts on"), widget=DateInput())
    months = forms.IntegerField(label=gettext_lazy("Months"), min_value=1)
    items = forms.MultipleChoiceField(
        label=gettext_lazy("Arrears covered"),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Basic medical insurance cannot be deferred by agreement."),
    )
    instalments = forms.CharField(
        label=gettext_lazy("Instalments"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono", "placeholder": "2025-11-15 3600.00"}),
        help_text=gettext_lazy(
            "One a line: the due date and the amount in yuan. Together they pay the covered principal."
        ),
    )

    # Operation keyword → form field, where they differ.
    field_map = {"collateral_value_fen": "collateral_value"}

    def __init__(self, *args, slices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = slices

    def clean_collateral_value(self) -> int:
        return _yuan_field(self.cleaned_data["collateral_value"])

    def clean_instalments(self) -> list[tuple[date, int]]:
        schedule = []
        for number, line in enumerate(self.cleaned_data["instalments"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split()
            try:
                if len(parts) != 2:
                    raise ValueError
                due_on = date.fromisoformat(parts[0])
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)s: write the due date (YYYY-MM-DD) and the amount.") % {"n": number}
                ) from None
            try:
                amount = parse_yuan(parts[1])
            except DomainError as error:
                raise forms.ValidationError(
                    _("Line %(n)s: %(error)s") % {"n": number, "error": domain_message(error)}
                ) from None
            schedule.append((due_on, amount))
        if not schedule:
            raise forms.ValidationError(_("Write at least one instalment."))
        return schedule

    def operation_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "guarantee_kind": data["guarantee_kind"],
            "collateral": data["collateral"],
            "collateral_value_fen": data["collateral_value"],
            "starts_on": data["starts_on"],
            "months": data["months"],
            "items": [tuple(value.split("|", 1)) for value in data["items"]],
            "instalments": data["instalments"],
        }


class FineForm(forms.Form):
    """A fine of 1–3 times the arrears principal (SIL art. 86), decided by HR&SS."""

    multiple = forms.CharField(
        label=gettext_lazy("Multiple of the arrears"),
        max_length=8,
        help_text=gettext_lazy("1 to 3 times the principal owed, late fees excluded (SIL art. 86)."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    decided_on = forms.DateField(label=gettext_lazy("Decided on"), widget=DateInput())

    field_map = {"multiple_ppm": "multiple"}

    def clean_multiple(self) -> int:
        text = self.cleaned_data["multiple"].strip()
        try:
            ppm = Decimal(text) * PPM
        except InvalidOperation:
            raise forms.ValidationError(_("Write the multiple as a number, e.g. 1.5.")) from None
        if ppm != ppm.to_integral_value():
            raise forms.ValidationError(_("Write the multiple with at most six decimals."))
        return int(ppm)
