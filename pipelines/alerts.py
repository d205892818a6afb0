"""Alerts: run-status sensors that post a JSON message to a webhook when a run goes wrong.

Two sensors, both exported in ``ALERT_SENSORS``:

- ``alert_on_run_failure`` fires on every failed run: job, run id, the failed steps with the
  first line of their error, the failed checks of severity ERROR, and what became of the
  published warehouse (the publish asset materializes only at the very end of a run, so a failed
  run normally leaves it unchanged; the message says so only when this run did not publish);
- ``alert_on_failed_check`` fires on a run that succeeded although a check of severity ERROR
  failed in it. With dagster 1.13 a failing *blocking* check already fails its step, hence the
  run, so that case arrives through the first sensor; this one catches the remaining ones.

The webhook URL is read from ``FCE_ALERT_WEBHOOK`` each time a sensor runs; when it is unset the
sensor logs that alerts are off and posts nothing. The body is JSON with a ``text`` field (what
chat webhooks display) and the same facts as fields. Each post is retried twice on a connection
error, a timeout or an HTTP 5xx. A sensor never raises: a lost alert is logged, and the run's own
status in Dagster stays the source of truth.

Shortcoming: an alert that fails all its attempts is not queued for later; the sensor's cursor
has moved past the run, so that alert is lost (the log line says which run it was about).
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import dagster as dg
import requests

from pipelines.publish import published_duckdb

WEBHOOK_ENV = "FCE_ALERT_WEBHOOK"
UNCHANGED = "the published warehouse was not changed"
PUBLISHED_KEY = published_duckdb.key
"""The publish asset: its materialization is the rename that replaces the analysts' file."""

ATTEMPTS = 3
"""One post and two retries."""
RETRY_DELAY_SECONDS = 2.0
"""Wait before a retry, doubled at each one."""
TIMEOUT_SECONDS = 10

log = logging.getLogger("fce.alerts")

_QUALIFIED_ERROR = re.compile(r"^(?:[a-z_]\w*\.)+(?P<cls>[A-Z]\w*): ")
"""``package.module.ClassName: `` as dagster prefixes the message of a serialized exception."""


@dataclass(frozen=True)
class FailedCheck:
    """A check evaluation that failed with severity ERROR."""

    asset: str
    check: str
    description: str
    blocking: bool

    def sentence(self) -> str:
        if self.blocking:
            return f"publication blocked by check {self.check} on asset {self.asset}: "
        return f"check {self.check} on asset {self.asset} failed (severity ERROR): "

    def line(self) -> str:
        return self.sentence() + (self.description or "no description given")


def first_line(text: str | None) -> str:
    """The first non-empty line of a text, stripped."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def error_line(message: str | None) -> str:
    """The first line of a serialized exception, its class named without the module path."""
    return _QUALIFIED_ERROR.sub(r"\g<cls>: ", first_line(message), count=1)


def _records(instance: dg.DagsterInstance, run_id: str, kind: dg.DagsterEventType) -> list[Any]:
    """Every event of one type in a run, oldest first, read page by page."""
    found: list[Any] = []
    cursor: str | None = None
    while True:
        page = instance.get_records_for_run(run_id, cursor=cursor, of_type=kind, limit=1000)
        found += [r.event_log_entry.dagster_event for r in page.records]
        if not page.has_more:
            return [event for event in found if event is not None]
        cursor = page.cursor


def _user_error(error: Any) -> Any:
    """The user's own exception inside dagster's wrapper of an error raised in user code."""
    while error.cause is not None and error.message.startswith("dagster."):
        error = error.cause
    return error


def failed_steps(instance: dg.DagsterInstance, run_id: str) -> list[dict[str, str]]:
    """The steps that failed in a run, each with the first line of its error."""
    steps: dict[str, str] = {}
    for event in _records(instance, run_id, dg.DagsterEventType.STEP_FAILURE):
        data = event.step_failure_data
        user = data.user_failure_data
        described = user.description if user is not None and user.description else None
        steps[event.step_key or "?"] = (
            first_line(described) if described else error_line(_user_error(data.error).message)
        )
    return [{"step": step, "error": error} for step, error in steps.items()]


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> list[FailedCheck]:
    """The check evaluations of a run that failed with severity ERROR."""
    checks: list[FailedCheck] = []
    for event in _records(instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.event_specific_data
        if not isinstance(evaluation, dg.AssetCheckEvaluation) or evaluation.passed:
            continue
        if evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        checks.append(
            FailedCheck(
                asset=evaluation.asset_key.to_user_string(),
                check=evaluation.check_name,
                description=first_line(evaluation.description),
                blocking=bool(evaluation.blocking),
            )
        )
    return checks


def published_in(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether this run materialized the publish asset, i.e. replaced the analysts' file."""
    events = _records(instance, run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
    return any(event.asset_key == PUBLISHED_KEY for event in events)


def failure_message(
    instance: dg.DagsterInstance, run: dg.DagsterRun, run_error: str
) -> dict[str, Any]:
    """The alert body for a failed run."""
    steps = failed_steps(instance, run.run_id)
    checks = failed_checks(instance, run.run_id)
    publication = (
        "the published warehouse was replaced by this run before it failed"
        if published_in(instance, run.run_id)
        else UNCHANGED
    )
    lines = [f"Run {run.run_id} of job {run.job_name} failed; {publication}."]
    lines += [f"- step {s['step']}: {s['error']}" for s in steps]
    if not steps and run_error:
        lines.append(f"- {run_error}")
    lines += [f"- {check.line()}" for check in checks]
    return {
        "event": "run_failed",
        "text": "\n".join(lines),
        "job": run.job_name,
        "run_id": run.run_id,
        "failed_steps": steps,
        "failed_checks": [check.line() for check in checks],
        "run_error": run_error,
        "publication": publication,
    }


def check_message(run: dg.DagsterRun, checks: list[FailedCheck]) -> dict[str, Any]:
    """The alert body for a successful run in which checks of severity ERROR failed."""
    lines = [f"Run {run.run_id} of job {run.job_name} succeeded, but:"]
    lines += [f"- {check.line()}" for check in checks]
    return {
        "event": "check_failed",
        "text": "\n".join(lines),
        "job": run.job_name,
        "run_id": run.run_id,
        "failed_checks": [check.line() for check in checks],
    }


def post(url: str, body: dict[str, Any], logger: logging.Logger = log) -> bool:
    """Post ``body`` as JSON, retrying connection errors, timeouts and 5xx; never raise."""
    delay = RETRY_DELAY_SECONDS
    problem = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = requests.post(url, json=body, timeout=TIMEOUT_SECONDS)
        except (requests.ConnectionError, requests.Timeout) as exc:
            problem = f"{type(exc).__name__}: {first_line(str(exc))}"
        except requests.RequestException as exc:
            logger.error("alert for run %s not sent: %s", body.get("run_id"), exc)
            return False
        else:
            if response.status_code < 400:
                return True
            problem = f"HTTP {response.status_code} {response.reason}"
            if response.status_code < 500:
                logger.error(
                    "alert for run %s refused by the webhook: %s", body.get("run_id"), problem
                )
                return False
        if attempt < ATTEMPTS:
            logger.warning(
                "alert attempt %d/%d failed (%s); retrying in %.1f s",
                attempt,
                ATTEMPTS,
                problem,
                delay,
            )
            time.sleep(delay)
            delay *= 2
    logger.error(
        "alert for run %s lost after %d attempts: %s", body.get("run_id"), ATTEMPTS, problem
    )
    return False


def _webhook(logger: logging.Logger) -> str | None:
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        logger.info("alerts are off: %s is not set, nothing posted", WEBHOOK_ENV)
        return None
    return url


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    description=f"Posts every failed run to the webhook in {WEBHOOK_ENV} (off when unset).",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    """Post a failed run: its failed steps, failed checks and the state of the publication."""
    try:
        url = _webhook(context.log)
        if url is None:
            return
        run = context.dagster_run
        error = context.failure_event.job_failure_data
        run_error = error_line(error.error.message) if error and error.error else ""
        post(url, failure_message(context.instance, run, run_error), context.log)
    except Exception:  # an alert must never make the sensor fail
        context.log.exception("alert for failed run %s not sent", context.dagster_run.run_id)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="alert_on_failed_check",
    description="Posts a successful run in which a check of severity ERROR failed, to the "
    f"webhook in {WEBHOOK_ENV} (off when unset).",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_on_failed_check(context: dg.RunStatusSensorContext) -> None:
    """Post the checks of severity ERROR that failed in a run that still succeeded."""
    try:
        url = _webhook(context.log)
        if url is None:
            return
        run = context.dagster_run
        checks = failed_checks(context.instance, run.run_id)
        if checks:
            post(url, check_message(run, checks), context.log)
    except Exception:  # an alert must never make the sensor fail
        context.log.exception("check alert for run %s not sent", context.dagster_run.run_id)


ALERT_SENSORS: list[dg.SensorDefinition] = [alert_on_run_failure, alert_on_failed_check]
"""For ``pipelines/definitions.py``: ``dg.Definitions(sensors=ALERT_SENSORS, ...)``."""
