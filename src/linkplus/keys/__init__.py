"""Digital keys: the owner's phone key, invited drivers with limits, sharing and revocation that
the car itself enforces (issue 17; rules in docs/keys.md)."""
