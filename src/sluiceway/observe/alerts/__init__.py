"""Alerts: rules on events, routed to webhooks, Slack and e-mail.

``alert_engine(project, store)`` builds the engine the daemon runs (None when the project
declares no rules); :mod:`.rules` says which events a rule fires on and what clears them,
:mod:`.grouping` how alerts are de-duplicated, grouped, resolved and reminded,
:mod:`.context` what a message says about the failure and what is downstream of it,
:mod:`.messages` the message itself, :mod:`.delivery` and :mod:`.channels` how it reaches
people. See ``docs/alerts.md``.
"""

from __future__ import annotations

from sluiceway.observe.alerts.engine import AlertEngine, alert_engine, send_test_message

__all__ = ["AlertEngine", "alert_engine", "send_test_message"]
