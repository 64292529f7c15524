"""Signals the core sends for other parts to observe (metrics, audit) without importing them."""

from django.dispatch import Signal

# Sent with ``host=`` each time the egress guard refuses an outbound connection.
egress_refused = Signal()
