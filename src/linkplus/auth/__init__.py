"""Who is calling: access tokens and the dependencies that authenticate owners and staff.

A layer below every domain, so any domain's router can ask for ``CurrentOwner`` or
``CurrentStaff`` without depending on ``accounts``, which owns the account lifecycle (register,
sign in, refresh, recover) and issues the tokens this package verifies.
"""
