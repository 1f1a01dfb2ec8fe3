"""Registry tables: employers, persons, employment spells, enrollments and sensitive change requests.

Spells are half-open ``[start, end)`` with a nullable end. Writes go through ``operations.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from zhengjiao.core.insurance import CATEGORY_ZH, INSURANCE_TYPE_ZH, Category, InsuranceType
from zhengjiao.registry import rules

InsuranceTypeChoices = models.TextChoices(
    "InsuranceTypeChoices", [(t.name, (t.value, INSURANCE_TYPE_ZH[t])) for t in InsuranceType]
)
CategoryChoices = models.TextChoices(
    "CategoryChoices", [(c.name, (c.value, CATEGORY_ZH[c])) for c in Category]
)


class UnitType(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    PUBLIC_INSTITUTION = "public_institution", "事业单位"
    GOVERNMENT = "government", "机关"
    SOCIAL_ORGANIZATION = "social_organization", "社会团体"
    INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
    OTHER = "other", "其他"


class EmployerStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    SUSPENDED = "suspended", "暂停"
    MISSING = "missing", "失踪"
    DEREGISTERED = "deregistered", "注销"
    BANKRUPT = "bankrupt", "破产"


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    DECEASED = "deceased", "死亡"
    EMIGRATED = "emigrated", "出境定居"
    MERGED = "merged", "已合并"


class ChangeRequestKind(models.TextChoices):
    CHANGE_ID_NUMBER = "change_id_number", "变更公民身份号码"
    MERGE_PERSONS = "merge_persons", "合并人员记录"


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class IdHistoryKind(models.TextChoices):
    CHANGED = "changed", "号码变更"
    MERGED = "merged", "记录合并"


class Employer(models.Model):
    """A paying unit (用人单位), identified by its unified social credit code."""

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("名称", max_length=200)
    region_code = models.CharField("行政区划", max_length=6, db_index=True)
    unit_type = models.CharField("单位类型", max_length=24, choices=UnitType.choices)
    industry_code = models.CharField("行业代码", max_length=5, blank=True)
    risk_class = models.PositiveSmallIntegerField("工伤风险类别")
    floating_rate_ppm = models.IntegerField("工伤浮动费率(ppm)", default=rules.FLOATING_RATE_NEUTRAL_PPM)
    bank_name = models.CharField("开户银行", max_length=100, blank=True)
    bank_account = models.CharField("银行账号", max_length=32, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=EmployerStatus.choices, default=EmployerStatus.ACTIVE
    )
    established_on = models.DateField("成立日期")
    registered_on = models.DateField("参保登记日期")
    late_registration = models.BooleanField("逾期登记", default=False)
    uscc_vouched = models.BooleanField("代码经登记机关确认", default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["uscc"]
        indexes = [models.Index(fields=["region_code", "status"], name="reg_employer_region_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_class__gte=rules.RISK_CLASS_MIN, risk_class__lte=rules.RISK_CLASS_MAX),
                name="registry_employer_risk_class_1_8",
            ),
            models.CheckConstraint(
                condition=Q(
                    floating_rate_ppm__gte=rules.FLOATING_RATE_MIN_PPM,
                    floating_rate_ppm__lte=rules.FLOATING_RATE_MAX_PPM,
                ),
                name="registry_employer_floating_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EmployerStatus.values), name="registry_employer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(registered_on__gte=F("established_on")),
                name="registry_employer_registered_after_established",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc})"


class EmployerStatusChange(models.Model):
    """One dated status change of an employer; the employer's ``status`` is the latest of these."""

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="status_changes")
    status = models.CharField(max_length=16, choices=EmployerStatus.choices)
    effective_from = models.DateField()
    reason = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["employer_id", "effective_from", "id"]
        indexes = [
            models.Index(fields=["employer", "effective_from"], name="registry_empstatus_emp_from"),
        ]

    def __str__(self) -> str:
        return f"{self.employer_id} {self.status} from {self.effective_from}"


class Person(models.Model):
    """An insured person, identified by the resident identity number (SIL art. 58)."""

    id_number = models.CharField("公民身份号码", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=100)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    hukou_region_code = models.CharField("户籍地", max_length=6, blank=True)
    region_code = models.CharField("参保地", max_length=6, db_index=True)
    status = models.CharField(
        "状态", max_length=16, choices=PersonStatus.choices, default=PersonStatus.ACTIVE
    )
    status_since = models.DateField("状态生效日期", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    registered_on = models.DateField("登记日期")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id_number"]
        indexes = [models.Index(fields=["name"], name="registry_person_name")]
        constraints = [
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="registry_person_sex_valid"),
            models.CheckConstraint(
                condition=Q(status__in=PersonStatus.values), name="registry_person_status_valid"
            ),
            # A merged record points at the survivor, and only a merged record does.
            models.CheckConstraint(
                condition=(Q(status=PersonStatus.MERGED) & Q(merged_into__isnull=False))
                | (~Q(status=PersonStatus.MERGED) & Q(merged_into__isnull=True)),
                name="registry_person_merged_has_survivor",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=F("id")), name="registry_person_not_merged_into_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"


class PersonIdHistory(models.Model):
    """An identity number a person record carried before: changed by correction or merged in."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="id_history")
    kind = models.CharField(max_length=16, choices=IdHistoryKind.choices)
    old_id_number = models.CharField(max_length=18, db_index=True)
    new_id_number = models.CharField(max_length=18)
    change_request = models.ForeignKey("ChangeRequest", on_delete=models.PROTECT, related_name="id_history")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["person_id", "recorded_at", "id"]
        verbose_name_plural = "person id history"

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


class EmploymentSpell(models.Model):
    """A person employed by an employer over ``[start, end)``."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employment_spells")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="employment_spells")
    start = models.DateField("入职日期")
    end = models.DateField("离职日期", null=True, blank=True)
    registered_on = models.DateField("登记日期")
    late_registration = models.BooleanField("逾期登记", default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["person_id", "start", "id"]
        indexes = [
            models.Index(fields=["employer", "start"], name="registry_spell_employer_start"),
            models.Index(fields=["person", "start"], name="registry_spell_person_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")), name="registry_spell_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.employer_id} [{self.start}, {self.end})"


class Enrollment(models.Model):
    """A person insured in one insurance type under one category over ``[start, end)``.

    ``employer`` and ``employment`` are set exactly for the ``employee`` category;
    ``chosen_base_fen`` is the monthly base a flexible worker chose (only for ``flexible``).
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrollments")
    insurance_type = models.CharField(max_length=24, choices=InsuranceTypeChoices.choices)
    category = models.CharField(max_length=16, choices=CategoryChoices.choices)
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments"
    )
    employment = models.ForeignKey(
        EmploymentSpell, null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments"
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    chosen_base_fen = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["person_id", "insurance_type", "start", "id"]
        indexes = [
            models.Index(fields=["person", "insurance_type", "start"], name="registry_enrol_person_type"),
            models.Index(fields=["employer", "insurance_type", "start"], name="registry_enrol_employer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")), name="registry_enrol_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(insurance_type__in=InsuranceTypeChoices.values), name="registry_enrol_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=CategoryChoices.values), name="registry_enrol_category_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(category=Category.EMPLOYEE) & Q(employer__isnull=False) & Q(employment__isnull=False)
                )
                | (~Q(category=Category.EMPLOYEE) & Q(employer__isnull=True) & Q(employment__isnull=True)),
                name="registry_enrol_employer_iff_employee",
            ),
            models.CheckConstraint(
                condition=Q(chosen_base_fen__isnull=True)
                | (Q(category=Category.FLEXIBLE) & Q(chosen_base_fen__gt=0)),
                name="registry_enrol_base_only_flexible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.insurance_type}/{self.category} [{self.start}, {self.end})"


class ChangeRequest(models.Model):
    """A sensitive correction that a second user must approve (four-eyes principle).

    ``person`` is the record the request is about (the record merged away, for a merge);
    ``survivor`` is the record kept in a merge. ``payload`` holds the requested values and, once
    approved, what was applied (the spells and enrollments moved by a merge).
    """

    kind = models.CharField(max_length=24, choices=ChangeRequestKind.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="change_requests")
    survivor = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="merge_requests_as_survivor"
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PENDING
    )
    reason = models.CharField("申请理由", max_length=500)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField("审批意见", max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "requested_at"], name="registry_changereq_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decided_by=F("requested_by")), name="registry_changereq_second_user"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=ChangeRequestStatus.PENDING)
                    & Q(decided_by__isnull=True)
                    & Q(decided_at__isnull=True)
                )
                | (
                    ~Q(status=ChangeRequestStatus.PENDING)
                    & Q(decided_by__isnull=False)
                    & Q(decided_at__isnull=False)
                ),
                name="registry_changereq_decided_consistent",
            ),
            models.CheckConstraint(
                condition=(Q(kind=ChangeRequestKind.MERGE_PERSONS) & Q(survivor__isnull=False))
                | (~Q(kind=ChangeRequestKind.MERGE_PERSONS) & Q(survivor__isnull=True)),
                name="registry_changereq_survivor_iff_merge",
            ),
            # One open correction per person record at a time.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status=ChangeRequestStatus.PENDING),
                name="registry_changereq_one_pending_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
