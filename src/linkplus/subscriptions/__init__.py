"""Subscriptions to connected-services packages: the subscribe flow, the daily billing run,
cancellations and refunds, notices (docs/subscriptions.md)."""
