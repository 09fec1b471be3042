"""Owner and staff accounts: registration, activation, sign-in, sessions, profile."""
