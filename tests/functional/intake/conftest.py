"""The intake fixtures (clerk, employer, staff, boss, task backends) for the API, web and CLI journeys."""

from tests.integration.intake.conftest import (  # noqa: F401 - fixtures made available here
    boss,
    clerk,
    employer,
    immediate_tasks,
    other_employer,
    queued_tasks,
    staff,
)
