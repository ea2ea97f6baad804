"""The APScheduler service: inbox runs, weekly reports, alerts and retention on their clocks."""
