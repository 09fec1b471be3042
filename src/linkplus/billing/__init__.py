"""Subscriptions, payments, invoices: the connected-services billing domain (issue 7).

The pure rule modules come first and hold every rule about money and dates: ``catalogue``
(prices, VAT rates, free periods, what a car may buy), ``anchors`` (billing dates), ``proration``
(cancellation outcomes), ``lifecycle`` (the subscription state machine and its notices) and
``vat``. The service, billing run, payment provider and web pages build on them. The rules and
the readings chosen where the source documents disagree are in docs/billing.md.
"""
