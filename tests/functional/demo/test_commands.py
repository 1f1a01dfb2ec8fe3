"""``zj generate`` and ``zj demo`` (the set-up part, without starting the server)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhengjiao.accounts.models import Department, User
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError
from zhengjiao.demo.management.commands.generate import Command as GenerateCommand
from zhengjiao.demo.models import GenerationRun, GroundTruthEmployer
from zhengjiao.demo.operations import DEMO_PASSWORD, prepare_demo
from zhengjiao.policy.models import PolicyVersion
from zhengjiao.registry.models import Employer, Person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_generate_prints_a_json_summary_with_the_counts():
    summary = json.loads(run("generate", "--persons", "300", "--seed", "9", "--json", "--chunk", "120"))
    assert summary["persons"] == 300 and summary["employers"] == 20  # 300 / 15 by default
    assert summary["seed"] == 9 and summary["region_code"] == "320000" and summary["as_of"] == "2026-11-01"
    assert summary["enrollments"] > 0 and summary["seconds"] >= 0 and not summary["already_done"]
    assert Person.objects.count() == 300


def test_generate_again_says_there_is_nothing_to_do():
    run("generate", "--persons", "100", "--employers", "10", "--no-progress")
    assert "nothing to do" in run("generate", "--persons", "100", "--employers", "10", "--no-progress")


def test_generate_refuses_a_second_province_with_the_error_code():
    run("generate", "--persons", "50", "--employers", "5", "--no-progress")
    with pytest.raises(CommandError, match="demo.already_generated"):
        run("generate", "--persons", "50", "--employers", "5", "--seed", "2", "--no-progress")


def test_generate_refuses_a_region_outside_jiangsu():
    with pytest.raises(CommandError, match="demo.invalid_region"):
        run("generate", "--persons", "10", "--region", "110000", "--no-progress")


def test_generate_has_help():
    help_text = GenerateCommand().create_parser("zj", "generate").format_help()
    assert "--persons" in help_text and "--seed" in help_text and "--chunk" in help_text


def test_prepare_demo_creates_users_policy_and_a_province():
    setup = prepare_demo(persons=400)
    departments = {c.department for c in setup.credentials}
    assert departments == set(Department.values)
    assert [c.username for c in setup.credentials].count("demo_hrss2") == 1
    assert all(c.password == DEMO_PASSWORD for c in setup.credentials)
    assert PolicyVersion.objects.get(status=PolicyVersion.Status.APPROVED).number == setup.policy_version
    assert setup.generation is not None and setup.generation.persons == 400
    assert Employer.objects.count() == 24  # 400 persons / (50/3) per employer

    employer_user = User.objects.get(username="demo_employer")
    largest = GroundTruthEmployer.objects.order_by("-headcount", "uscc").first()
    assert employer_user.employer_uscc == largest.uscc
    person_user = User.objects.get(username="demo_person")
    assert Person.objects.filter(id_number=person_user.person_id_number).exists()
    for user in User.objects.filter(username__startswith="demo_"):
        assert user.check_password(DEMO_PASSWORD)
        assert not user.totp_confirmed


def test_prepare_demo_a_second_time_reuses_everything():
    first = prepare_demo(persons=300)
    counts = (
        User.objects.count(),
        Person.objects.count(),
        PolicyVersion.objects.count(),
        AuditEvent.objects.count(),
    )
    second = prepare_demo(persons=300)
    assert second.generation is None
    assert second.credentials == first.credentials
    assert (
        User.objects.count(),
        Person.objects.count(),
        PolicyVersion.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert GenerationRun.objects.count() == 1


def test_prepare_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(DomainError) as raised:
        prepare_demo(persons=10)
    assert raised.value.code == "demo.production"
    assert not User.objects.exists()


def test_demo_command_sets_up_and_prints_the_credentials_without_serving():
    out = run("demo", "--persons", "200", "--no-server")
    assert "demo_hrss2" in out and "demo_employer" in out and DEMO_PASSWORD in out
    assert "Generated 200 persons" in out


def test_demo_command_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        run("demo", "--no-server")


def test_demo_command_serves_with_runserver_on_the_chosen_port(monkeypatch):
    calls = []
    real_call_command = call_command

    def fake_call_command(name, *args, **kwargs):
        if name == "runserver":
            calls.append((args, kwargs))
            return None
        return real_call_command(name, *args, **kwargs)

    monkeypatch.setattr("zhengjiao.demo.management.commands.demo.call_command", fake_call_command)
    run("demo", "--persons", "100", "--port", "8123")
    assert calls == [(("127.0.0.1:8123",), {"use_reloader": False})]
