"""The pure domain: money, charts of accounts, journal entries, the hash chain and errors.

Plain frozen dataclasses and functions; imports neither SQLAlchemy nor Flask.
"""
