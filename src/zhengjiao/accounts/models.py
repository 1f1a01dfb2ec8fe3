"""Users (one department, one region each) and hashed API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengjiao.accounts.validators import validate_region_code


class Department(models.TextChoices):
    HRSS = "hrss", _("HR and social security")
    AGENCY = "agency", _("Social insurance agency")
    TAX = "tax", _("Tax")
    FINANCE = "finance", _("Finance")
    AUDIT = "audit", _("Audit")
    BANK = "bank", _("Bank integration")
    SYSADMIN = "sysadmin", _("System administration")
    EMPLOYER = "employer", _("Employer portal")
    INDIVIDUAL = "individual", _("Individual portal")


class User(AbstractUser):
    """A person or integration client. Staff departments see their region's subtree (see ``scoping``)."""

    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    region_code = models.CharField(
        _("region code"),
        max_length=6,
        validators=[RegexValidator(r"^[0-9]{6}$", _("A region code is six digits.")), validate_region_code],
    )
    # Employer portal users only: the employer they act for.
    employer_uscc = models.CharField(_("employer USCC"), max_length=18, null=True, blank=True)
    # Individual portal users only: whose record they see.
    person_id_number = models.CharField(_("identity number"), max_length=18, null=True, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    totp_secret = models.CharField(max_length=64, blank=True, default="")
    totp_confirmed = models.BooleanField(default=False)
    # The last TOTP time step accepted, so the same code cannot be used twice (RFC 6238 §5.2).
    totp_last_step = models.BigIntegerField(null=True, blank=True)

    REQUIRED_FIELDS = ["department", "region_code"]

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.CheckConstraint(
                condition=Q(department__in=Department.values), name="accounts_user_department_known"
            ),
            models.CheckConstraint(
                condition=(
                    Q(department=Department.EMPLOYER, employer_uscc__isnull=False) & ~Q(employer_uscc="")
                )
                | (~Q(department=Department.EMPLOYER) & Q(employer_uscc__isnull=True)),
                name="accounts_user_employer_uscc_iff_employer",
            ),
            models.CheckConstraint(
                condition=(
                    Q(department=Department.INDIVIDUAL, person_id_number__isnull=False)
                    & ~Q(person_id_number="")
                )
                | (~Q(department=Department.INDIVIDUAL) & Q(person_id_number__isnull=True)),
                name="accounts_user_person_id_number_iff_individual",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.department} {self.region_code})"


class ApiToken(models.Model):
    """A bearer token for scripts and integration clients. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=8, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="accounts_apitoken_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"token {self.pk} zj_{self.prefix}_… ({self.user.username})"
