"""Notifications: a message with a snapshot when an object appears, sent through Apprise.

A front-end-level sink like the browser view: it observes a running session and never slows it.
`rules` decides which object events are worth a message (labels, zones, a cooldown per label),
`channel` sends them off the pipeline (one worker thread and a small bounded queue per URL,
one log line per outage, retries with backoff), and `watch` is the one adapter that knows the
session's event names. Only `channel` imports Apprise (the `notify` extra).
"""

from camapp.notify.channel import Channel, Note, check_url
from camapp.notify.rules import COOLDOWN, Gate, Rules
from camapp.notify.watch import Notifier, summary

__all__ = ["COOLDOWN", "Channel", "Gate", "Note", "Notifier", "Rules", "check_url", "summary"]
