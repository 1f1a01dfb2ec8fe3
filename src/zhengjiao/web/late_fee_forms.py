"""The late-fee calculator form (滞纳金测算): parses what a person typed; ``arrears.late_fee`` checks it.

Payments are typed one a line, a date and an amount in yuan (``2015-04-10 4,000.00``), so the form
needs no script to add rows.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import parse_yuan
from zhengjiao.web.forms import DateInput
from zhengjiao.web.shortcuts import domain_message

#: The value of the hidden ``calculation`` input that tells the calculator page which form was posted;
#: also the form's prefix, so its fields do not clash with the contribution form on the same page.
LATE_FEE = "late_fee"


class LateFeeForm(forms.Form):
    prefix = LATE_FEE

    region = forms.ChoiceField(label=_("Region"))
    principal_yuan = forms.CharField(
        label=_("Unpaid principal (yuan)"),
        max_length=20,
        help_text=_("The contribution owed, e.g. 10,000.00."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    due_date = forms.DateField(
        label=_("Payment due date"), help_text=_("The last day to pay in time."), widget=DateInput()
    )
    as_of = forms.DateField(label=_("Calculate up to"), help_text=_("This day included."), widget=DateInput())
    payments = forms.CharField(
        label=_("Payments made"),
        required=False,
        help_text=_("One a line: date and amount in yuan, e.g. 2015-04-10 4,000.00."),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
    )
    payment_order_deadline = forms.DateField(
        label=_("Payment-order deadline"),
        required=False,
        help_text=_("Only for arrears before July 2011: the deadline the order to pay set."),
        widget=DateInput(),
    )

    # Calculator keyword → form field, where they differ.
    field_map = {"principal_fen": "principal_yuan", "region_code": "region", "period": "due_date"}

    def __init__(self, *args, region_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices

    def clean_principal_yuan(self) -> int:
        try:
            return parse_yuan(self.cleaned_data["principal_yuan"])
        except DomainError as error:
            raise forms.ValidationError(domain_message(error)) from None

    def clean_payments(self) -> list[tuple[date, int]]:
        payments = []
        for number, line in enumerate(self.cleaned_data["payments"].splitlines(), start=1):
            if not line.strip():
                continue
            day_text, _space, amount_text = line.strip().partition(" ")
            try:
                day = date.fromisoformat(day_text)
            except ValueError:
                raise forms.ValidationError(
                    gettext("Line %(line)d: the date is written YYYY-MM-DD.") % {"line": number}
                ) from None
            try:
                amount = parse_yuan(amount_text)
            except DomainError as error:
                raise forms.ValidationError(
                    gettext("Line %(line)d: %(problem)s") % {"line": number, "problem": domain_message(error)}
                ) from None
            payments.append((day, amount))
        return payments

    def error_field(self, field: str | None) -> str | None:
        """The form field a ``DomainError.field`` of ``arrears.late_fee.calculate`` belongs to."""
        if field and field.startswith("payments"):
            return "payments"
        return self.field_map.get(field or "", field)
