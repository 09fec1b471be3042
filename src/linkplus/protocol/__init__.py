"""The wire contracts between the platform and the things outside it that are not people.

``vehicle`` holds the vehicle protocol's messages and topics (MQTT, JSON, COVESA VSS signal
names in ``signals``); ``errors`` what a peer may send that the protocol refuses. Both the
platform's gateway and the simulated car build on these and on nothing of each other, so the
simulator speaks only the protocol. It imports only ``kit``. Details: docs/vehicle-protocol.md.
"""
