"""Pushed to them: the morning digest and immediate alerts, by e-mail and webhooks.

Configured per store in ``rules/stores.yaml`` (:mod:`pipeline.alerts.config`); what there is
to tell (:mod:`~pipeline.alerts.findings`), the messages in the store's language
(:mod:`~pipeline.alerts.compose`), the channels with retries (:mod:`~pipeline.alerts.channels`),
who is told what and when (:mod:`~pipeline.alerts.dispatch`) and the record of what was sent
(:mod:`~pipeline.alerts.tables`). The scheduler calls :func:`~pipeline.alerts.dispatch.after_run`
after each scheduled inspection run and :func:`~pipeline.alerts.dispatch.send_digest` at each
store's digest time.
"""
