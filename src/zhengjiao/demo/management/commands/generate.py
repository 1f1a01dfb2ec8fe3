"""``zj generate``: bulk-load a deterministic synthetic province (registry + ground truth)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zhengjiao.audit.cli import cli_operation, write_json
from zhengjiao.core.regions import JIANGSU
from zhengjiao.demo.jobs import DEFAULT_CHUNK, generate_province
from zhengjiao.demo.rules import DEFAULT_AS_OF, ProvinceSpec

PERSONS_PER_EMPLOYER = 15
"""Default employer count: Jiangsu is sized at about 40 million insured and 3 million employers."""


class Command(BaseCommand):
    help = (
        "Generate a deterministic synthetic province: employers (industries, risk classes, skewed sizes, "
        "valid USCCs), persons (valid identity numbers, log-normal wages, employment histories, flexible "
        "workers and residents) and a ground-truth table. The same seed gives the same data whatever the "
        "chunk size. Bulk-loads in chunks, one transaction each; rerun the same command to resume."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, required=True, help="number of persons")
        parser.add_argument(
            "--employers", type=int, help=f"number of employers (default: persons / {PERSONS_PER_EMPLOYER})"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--region", default=JIANGSU, help="Jiangsu (320000, the default), one of its cities or counties"
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=DEFAULT_AS_OF,
            help=f"the province's 'today', YYYY-MM-DD (default {DEFAULT_AS_OF}; fixed for reproducibility)",
        )
        parser.add_argument(
            "--chunk",
            type=int,
            default=DEFAULT_CHUNK,
            help=f"persons per transaction (default {DEFAULT_CHUNK})",
        )
        parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")

    def handle(self, *args, **options) -> None:
        persons = options["persons"]
        employers = options["employers"]
        if employers is None:
            employers = max(1, round(persons / PERSONS_PER_EMPLOYER)) if persons else 0
        if options["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
        spec = ProvinceSpec(
            seed=options["seed"],
            persons=persons,
            employers=employers,
            region_code=options["region"],
            as_of=options["as_of"],
        )
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if options["no_progress"]:
                return
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(
                    total=total,
                    desc=stage,
                    unit=" records",
                    # The raw stream: OutputWrapper.write would add a newline to every redraw.
                    file=self.stderr._out,
                    initial=done,
                    unit_scale=True,
                )
            bar.update(done - bar.n)

        try:
            with cli_operation():
                result = generate_province(spec=spec, chunk_size=options["chunk"], progress=progress)
        finally:
            for bar in bars.values():
                bar.close()
        if options["json"]:
            write_json(self.stdout, result.as_dict())
            return
        if result.already_done:
            self.stdout.write(f"Run {result.run_id} already generated this province: nothing to do.")
            return
        self.stdout.write(
            f"Generated {result.persons} persons, {result.employers} employers, "
            f"{result.employment_spells} employment spells and {result.enrollments} enrollments "
            f"(seed {result.seed}, region {result.region_code}, as of {result.as_of}) "
            f"in {result.seconds:.1f} s{' (resumed)' if result.resumed else ''}."
        )
