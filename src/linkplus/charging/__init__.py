"""Home charging: OCPP chargers in owners' accounts, their sessions, energy and cost, and the
owner's charging windows (docs/charging.md)."""
