"""Wallet and payments: cards kept as provider tokens, and the provider seam for charges.

Platform code talks to a payment provider only through ``provider.PaymentProvider``; the adapter
in ``client`` speaks HTTP to the provider's API, by default the sandbox provider in ``sandbox``.
"""
