"""The seams between the platform and the systems outside it, as Protocols.

Each seam is written in the platform's words and sits below every domain, so the runtime can hold
an adapter without importing the domain that implements it, and a domain never imports an outside
library to talk through it. The real adapters live in the domain that owns the outside system
(``notifications`` for mail and push, ``payments`` for the card provider, ``vehicle_link`` for
the MQTT broker); fakes for tests stand beside them behind the same Protocol.
"""
