"""The crash tests create owners, cars and cards in-process (with the sandbox payment provider
reached over HTTP, tests/payments/fixtures.py), then run and kill a real ``linkplus serve``."""

from tests.payments.fixtures import app, client, sandbox

__all__ = ["app", "client", "sandbox"]
