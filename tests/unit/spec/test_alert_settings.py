"""``alerts:`` in sluiceway.yaml: what is accepted, and what is refused before anything runs."""

from __future__ import annotations

from datetime import timedelta

PIPELINE = {
    "pipelines/p.yaml": "name: p\nsteps:\n  - {name: s, type: sql, query: select 1, table: raw.s}\n"
}
CHANNELS = """\
  channels:
    slack: {type: slack, url: "${env:SLACK_URL}"}
    hook:
      type: webhook
      url: "https://hooks.example.com/${env:HOOK_TOKEN}"
      secret: "${env:HOOK_SECRET}"
    mail:
      type: email
      host: smtp.example.com
      username: alerts
      password: ${env:SMTP_PASSWORD}
      sender: alerts@example.com
      to: [oncall@example.com]
"""


def settings(rules: str, channels: str = CHANNELS) -> str:
    return "name: shop\nalerts:\n" + channels + "  rules:\n" + rules


def test_channels_and_rules_with_their_defaults(make_project, load) -> None:
    text = settings(
        "    - {name: failures, on: [run.failed, step.failed], channels: [slack, mail]}\n"
        "    - {name: blocking, on: [check.failed], severity: block, tables: ['gold.*'],\n"
        "       channels: [hook], group_by: [table], group_wait: 30s, repeat_after: null}\n"
    )
    alerts = load(make_project(PIPELINE, settings=text)).settings.alerts
    failures, blocking = alerts.rules
    assert (failures.group_wait, failures.group_window) == (timedelta(0), timedelta(minutes=5))
    assert (failures.repeat_after, failures.resolve) == (timedelta(hours=4), True)
    assert (blocking.severity, blocking.tables, blocking.repeat_after) == (
        "block",
        ["gold.*"],
        None,
    )
    assert alerts.channels["mail"].tls == "starttls"
    assert alerts.channels["mail"].port == 587
    assert alerts.delivery.retry_for == timedelta(hours=24)
    assert alerts.channel_rate_limit("mail") == 20


def test_a_rule_naming_an_undefined_channel_is_refused_with_a_suggestion(
    make_project, problems_of
) -> None:
    text = settings("    - {name: failures, on: [run.failed], channels: [slak]}\n")
    (problem,) = problems_of(make_project(PIPELINE, settings=text))
    assert (
        "alert rule 'failures' sends to channel 'slak', which is not defined under alerts.channels"
    ) in problem.message
    assert problem.hint == "did you mean 'slack'?"
    assert problem.location.file == "sluiceway.yaml"


def test_a_rule_without_any_channel_defined_says_where_to_define_one(
    make_project, problems_of
) -> None:
    text = settings("    - {name: failures, on: [run.failed], channels: [ops]}\n", "")
    (problem,) = problems_of(make_project(PIPELINE, settings=text))
    assert problem.hint == "define it under alerts.channels (defined: none)"


def test_severity_needs_check_failures(make_project, problems_of) -> None:
    text = settings("    - {name: r, on: [run.failed], severity: error, channels: [slack]}\n")
    (problem,) = problems_of(make_project(PIPELINE, settings=text))
    assert "severity only filters check.failed" in problem.message


def test_two_rules_with_one_name_are_refused(make_project, problems_of) -> None:
    text = settings(
        "    - {name: r, on: [run.failed], channels: [slack]}\n"
        "    - {name: r, on: [sla.missed], channels: [mail]}\n"
    )
    (problem,) = problems_of(make_project(PIPELINE, settings=text))
    assert "two alert rules are named 'r'" in problem.message


def test_channel_secrets_are_references_never_values(make_project, problems_of) -> None:
    channels = (
        "  channels:\n"
        "    slack: {type: slack, url: 'https://hooks.slack.com/services/T0/B0/xoxo'}\n"
        "    mail: {type: email, host: h, password: hunter2, sender: a@b.c, to: [d@e.f]}\n"
    )
    problems = problems_of(make_project(PIPELINE, settings=settings("    []\n", channels)))
    assert len(problems) == 2
    for problem in problems:
        assert "${env:NAME}" in problem.message
        assert "xoxo" not in str(problem) and "hunter2" not in str(problem)


def test_a_webhook_needs_an_http_url(make_project, problems_of) -> None:
    channels = "  channels:\n    hook: {type: webhook, url: hooks.example.com/alerts}\n"
    (problem,) = problems_of(make_project(PIPELINE, settings=settings("    []\n", channels)))
    assert "is not an http:// or https:// URL" in problem.message
    assert problem.location.line == 4
