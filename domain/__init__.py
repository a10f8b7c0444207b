"""The OKR domain: aggregates, their events, domain errors and the application service.

Imports nothing but the standard library and `eventsourcing`.
"""
