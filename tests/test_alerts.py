"""The alert sensors, evaluated on real in-process runs against a local webhook that records."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from pipelines import alerts


@dataclass
class Webhook:
    """A local endpoint: records every POSTed JSON body; answers ``statuses`` first, then 200."""

    url: str = ""
    bodies: list[dict] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", "0"))
            hook.bodies.append(json.loads(self.rfile.read(length)))
            status = hook.statuses.pop(0) if hook.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def no_retry_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alerts, "RETRY_DELAY_SECONDS", 0.0)


@dg.asset
def lake_thing() -> None:
    raise dg.Failure("lake_thing.zip: the file is truncated; download it again\nsecond line")


@dg.asset
def crashing_thing() -> None:
    raise KeyError("siret")


@dg.asset
def loaded_rows() -> int:
    return 3


@dg.asset_check(asset=loaded_rows, blocking=True, description="Row count against last load.")
def row_count_vs_previous_load() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, description="3 rows, 2% of the previous load")


@dg.asset(deps=[loaded_rows])
def published_thing() -> None:
    """Stands for the publish asset; never reached when the blocking check fails."""


@dg.asset(key=alerts.PUBLISHED_KEY)
def stand_in_publish() -> None:
    """Has the publish asset's key, so the sensor takes its materialization for a publication."""


@dg.asset(deps=[stand_in_publish])
def after_publish() -> None:
    raise dg.Failure("export to the portal failed")


@dg.asset
def quiet_rows() -> int:
    return 5


@dg.asset_check(asset=quiet_rows, blocking=False)
def quiet_reject_rate() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, description="40% of the rows rejected\ndetails")


@dg.asset_check(asset=quiet_rows, blocking=False)
def quiet_freshness() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.WARN, description="data is 40 days old"
    )


DEFS = dg.Definitions(
    assets=[
        lake_thing,
        crashing_thing,
        loaded_rows,
        published_thing,
        stand_in_publish,
        after_publish,
        quiet_rows,
    ],
    asset_checks=[row_count_vs_previous_load, quiet_reject_rate, quiet_freshness],
    jobs=[
        dg.define_asset_job("broken_job", selection=[lake_thing]),
        dg.define_asset_job("crashing_job", selection=[crashing_thing]),
        dg.define_asset_job("blocked_job", selection=[loaded_rows, published_thing]),
        dg.define_asset_job("quiet_job", selection=[quiet_rows]),
        dg.define_asset_job("late_job", selection=[stand_in_publish, after_publish]),
    ],
)


def run_and_context(
    job_name: str, instance: dg.DagsterInstance, sensor_name: str
) -> tuple[dg.ExecuteInProcessResult, dg.RunStatusSensorContext]:
    """Execute a job in process and build the context its run-status sensor would receive."""
    result = DEFS.resolve_job_def(job_name).execute_in_process(
        instance=instance, raise_on_error=False
    )
    event = result.get_run_failure_event() if not result.success else result.get_run_success_event()
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor_name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    return result, context


def test_failed_run_is_posted(webhook: Webhook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(alerts.WEBHOOK_ENV, webhook.url)
    instance = dg.DagsterInstance.ephemeral()
    result, context = run_and_context("broken_job", instance, "alert_on_run_failure")
    assert not result.success

    alerts.alert_on_run_failure(context)

    (body,) = webhook.bodies
    assert body["event"] == "run_failed"
    assert body["job"] == "broken_job"
    assert body["run_id"] == result.run_id
    assert body["failed_steps"] == [
        {"step": "lake_thing", "error": "lake_thing.zip: the file is truncated; download it again"}
    ]
    assert body["failed_checks"] == []
    assert body["publication"] == "the published warehouse was not changed"
    assert "the published warehouse was not changed" in body["text"]
    assert f"Run {result.run_id} of job broken_job failed" in body["text"]
    assert "second line" not in body["text"]


def test_unexpected_exception_is_posted_by_its_own_class(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(alerts.WEBHOOK_ENV, webhook.url)
    instance = dg.DagsterInstance.ephemeral()
    _, context = run_and_context("crashing_job", instance, "alert_on_run_failure")

    alerts.alert_on_run_failure(context)

    (body,) = webhook.bodies
    assert body["failed_steps"] == [{"step": "crashing_thing", "error": "KeyError: 'siret'"}]


def test_failure_after_publication_does_not_claim_it_unchanged(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(alerts.WEBHOOK_ENV, webhook.url)
    instance = dg.DagsterInstance.ephemeral()
    _, context = run_and_context("late_job", instance, "alert_on_run_failure")

    alerts.alert_on_run_failure(context)

    (body,) = webhook.bodies
    assert body["publication"] == (
        "the published warehouse was replaced by this run before it failed"
    )
    assert alerts.UNCHANGED not in body["text"]


def test_blocked_check_is_posted_with_the_failed_run(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In dagster 1.13 a failing blocking check fails its step, so the run fails."""
    monkeypatch.setenv(alerts.WEBHOOK_ENV, webhook.url)
    instance = dg.DagsterInstance.ephemeral()
    result, context = run_and_context("blocked_job", instance, "alert_on_run_failure")
    assert not result.success

    alerts.alert_on_run_failure(context)

    (body,) = webhook.bodies
    blocked = (
        "publication blocked by check row_count_vs_previous_load on asset loaded_rows: "
        "3 rows, 2% of the previous load"
    )
    assert body["failed_checks"] == [blocked]
    assert blocked in body["text"]
    assert [s["step"] for s in body["failed_steps"]] == ["loaded_rows_row_count_vs_previous_load"]
    assert body["publication"] == alerts.UNCHANGED


def test_failed_error_check_in_a_successful_run_is_posted(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(alerts.WEBHOOK_ENV, webhook.url)
    instance = dg.DagsterInstance.ephemeral()
    result, context = run_and_context("quiet_job", instance, "alert_on_failed_check")
    assert result.success

    alerts.alert_on_failed_check(context)

    (body,) = webhook.bodies
    assert body["event"] == "check_failed"
    assert body["run_id"] == result.run_id
    # The WARN check is left out; the ERROR one is reported with its first line only.
    assert body["failed_checks"] == [
        "check quiet_reject_rate on asset quiet_rows failed (severity ERROR): "
        "40% of the rows rejected"
    ]


def test_successful_run_without_failed_check_posts_nothing(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(alerts.WEBHOOK_ENV, webhook.url)
    instance = dg.DagsterInstance.ephemeral()
    job = dg.Definitions(
        assets=[quiet_rows], jobs=[dg.define_asset_job("fine", selection=[quiet_rows])]
    ).resolve_job_def("fine")
    result = job.execute_in_process(instance=instance)
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_failed_check",
        dagster_event=result.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )

    alerts.alert_on_failed_check(context)

    assert webhook.bodies == []


def test_webhook_unset_posts_nothing(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(alerts.WEBHOOK_ENV, raising=False)
    instance = dg.DagsterInstance.ephemeral()
    _, failed = run_and_context("broken_job", instance, "alert_on_run_failure")
    _, quiet = run_and_context("quiet_job", instance, "alert_on_failed_check")
    for context in (failed, quiet):
        context.log.addHandler(caplog.handler)  # the sensor logger does not propagate

    alerts.alert_on_run_failure(failed)
    alerts.alert_on_failed_check(quiet)

    assert webhook.bodies == []
    assert caplog.text.count("alerts are off: FCE_ALERT_WEBHOOK is not set") == 2


def test_webhook_read_at_evaluation_time(webhook: Webhook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(alerts.WEBHOOK_ENV, raising=False)
    instance = dg.DagsterInstance.ephemeral()
    _, context = run_and_context("broken_job", instance, "alert_on_run_failure")
    alerts.alert_on_run_failure(context)
    monkeypatch.setenv(alerts.WEBHOOK_ENV, webhook.url)

    alerts.alert_on_run_failure(context)

    assert len(webhook.bodies) == 1


def test_server_errors_are_retried_twice(webhook: Webhook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(alerts.WEBHOOK_ENV, webhook.url)
    webhook.statuses = [500, 503]
    instance = dg.DagsterInstance.ephemeral()
    result, context = run_and_context("broken_job", instance, "alert_on_run_failure")

    alerts.alert_on_run_failure(context)

    assert len(webhook.bodies) == 3
    assert all(body["run_id"] == result.run_id for body in webhook.bodies)


def test_lost_alert_never_raises(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(alerts.WEBHOOK_ENV, webhook.url)
    webhook.statuses = [500, 500, 500, 500]
    instance = dg.DagsterInstance.ephemeral()
    result, context = run_and_context("broken_job", instance, "alert_on_run_failure")

    context.log.addHandler(caplog.handler)  # the sensor logger does not propagate

    alerts.alert_on_run_failure(context)

    assert len(webhook.bodies) == 3
    assert f"alert for run {result.run_id} lost after 3 attempts: HTTP 500" in caplog.text


def test_client_error_is_not_retried(webhook: Webhook) -> None:
    webhook.statuses = [404]
    assert alerts.post(webhook.url, {"run_id": "r1"}) is False
    assert webhook.bodies == [{"run_id": "r1"}]


def test_unreachable_webhook_is_retried_then_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        sent = alerts.post("http://127.0.0.1:9/hook", {"run_id": "r2"})
    assert sent is False
    assert caplog.text.count("alert attempt") == 2
    assert "alert for run r2 lost after 3 attempts: ConnectionError" in caplog.text


def test_error_line_drops_dagster_module_prefix() -> None:
    message = "dagster._core.errors.DagsterAssetCheckFailedError: 1 blocking check failed:\nx: y"
    assert alerts.error_line(message) == "DagsterAssetCheckFailedError: 1 blocking check failed:"
    assert alerts.error_line("lake.zip: truncated") == "lake.zip: truncated"
    assert alerts.first_line("\n  plain words\nmore") == "plain words"
    assert alerts.first_line(None) == ""


def test_sensors_are_exported_and_load_in_definitions() -> None:
    names = {sensor.name for sensor in alerts.ALERT_SENSORS}
    assert names == {"alert_on_run_failure", "alert_on_failed_check"}
    defs = dg.Definitions(assets=DEFS.assets, sensors=alerts.ALERT_SENSORS)
    for name in names:
        sensor = defs.resolve_sensor_def(name)
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
