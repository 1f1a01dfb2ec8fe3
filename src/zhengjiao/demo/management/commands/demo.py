"""``zj demo``: set up the demo (database, users, policy, a small province) and serve it locally."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from tqdm import tqdm

from zhengjiao.accounts.models import User
from zhengjiao.audit.cli import cli_operation, write_table
from zhengjiao.demo.arrears_story import demo_months, render_story, run_arrears_story
from zhengjiao.demo.models import GenerationRun
from zhengjiao.demo.month import run_demo_month
from zhengjiao.demo.month_summary import render_summary
from zhengjiao.demo.operations import DEMO_PERSONS, DEMO_SEED, prepare_demo


class Command(BaseCommand):
    help = (
        "Development only: migrate the database (by default the embedded SQLite file), create one demo "
        "user per department with a printed password, load and approve the bundled policy, generate a "
        "small province (about 5,000 persons) unless the database holds one, run its last three months "
        "through agency, tax, banks and finance (zj demo-month) and close their arrears history day by "
        "day (zj close) unless that is done, and run the development server on http://127.0.0.1:PORT. "
        "Running it again reuses the data."
    )
    requires_system_checks = []  # checked by runserver itself, after the set-up

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
        parser.add_argument(
            "--persons",
            type=int,
            default=DEMO_PERSONS,
            help=f"persons to generate on first run (default {DEMO_PERSONS})",
        )
        parser.add_argument(
            "--seed", type=int, default=DEMO_SEED, help=f"generation seed (default {DEMO_SEED})"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the embedded SQLite database first and start from nothing",
        )
        parser.add_argument("--no-server", action="store_true", help="set up, print the users, do not serve")
        parser.add_argument(
            "--no-month",
            action="store_true",
            help="skip the demo months and their arrears history (plans, payments, remittances, closes)",
        )

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "zj demo refuses to run with ZJ_ENV=production: it creates users with known passwords"
            )
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535")
        if options["reset"]:
            self._reset_database()
        call_command("migrate", interactive=False, verbosity=0)
        # The raw stream (OutputWrapper.write would add a newline to every redraw); no bar unless a terminal.
        bar_stream = self.stderr._out
        with tqdm(total=0, desc="demo province", unit=" persons", file=bar_stream, disable=None) as bar:

            def progress(stage: str, done: int, total: int) -> None:
                if stage == "persons":
                    bar.total = total
                    bar.update(done - bar.n)

            with cli_operation():
                setup = prepare_demo(persons=options["persons"], seed=options["seed"], progress=progress)
        if setup.generation is not None:
            g = setup.generation
            self.stdout.write(
                f"Generated {g.persons} persons and {g.employers} employers in {g.seconds:.1f} s."
            )
        self.stdout.write(f"Policy version {setup.policy_version} in force. Demo users (development only):")
        write_table(
            self.stdout,
            ["USERNAME", "DEPARTMENT", "REGION", "PASSWORD", "FOR"],
            [[c.username, c.department, c.region_code, c.password, c.note] for c in setup.credentials],
        )
        if not options["no_month"]:
            self._run_month(options["seed"])
        if options["no_server"]:
            return
        address = f"127.0.0.1:{options['port']}"
        worker = self._start_worker()
        self.stdout.write(f"Serving on http://{address}/  (Ctrl-C stops)")
        try:
            call_command("runserver", address, use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)

    def _run_month(self, seed: int) -> None:
        """The last ``DEMO_MONTHS`` months through all four parties (``zj demo-month`` each), so every
        workspace shows data, then the arrears history closed day by day up to the province's ``as_of``
        (``demo.arrears_story``), so the arrears pages hold employers at every step of the ladder."""
        run = GenerationRun.objects.first()
        months = demo_months()
        for month in months:
            with cli_operation():
                summary = run_demo_month(
                    seed=run.seed if run is not None else seed,
                    period=month,
                    tax_officer=User.objects.filter(username="demo_tax").first(),
                )
            render_summary(self.stdout, summary)
        if run is None:
            return
        with tqdm(
            total=0, desc="close of business", unit=" days", file=self.stderr._out, disable=None
        ) as bar:
            with cli_operation():
                story = run_arrears_story(
                    months=months, through=run.as_of - timedelta(days=1), progress=lambda _day: bar.update(1)
                )
        render_story(self.stdout, story)

    def _start_worker(self) -> subprocess.Popen | None:
        """Background work (large declaration uploads, assessment runs) is queued in the database;
        the demo runs one ``zj db_worker`` beside the server so that it gets done."""
        if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
            return None
        self.stdout.write("Background worker: zj db_worker (started with the server, stopped with it)")
        return subprocess.Popen(
            [sys.executable, "-m", "zhengjiao.cli", "db_worker", "--no-reload", "--interval", "1"],
            env=os.environ.copy(),
        )

    def _reset_database(self) -> None:
        if connection.vendor != "sqlite":
            raise CommandError(
                "--reset only deletes the embedded SQLite database; drop other databases yourself"
            )
        path = Path(settings.DATABASES["default"]["NAME"])
        connection.close()
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            candidate.unlink(missing_ok=True)
        self.stdout.write(f"Deleted {path}")
