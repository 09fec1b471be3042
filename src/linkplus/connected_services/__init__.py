"""The Connected Services Centre: which services a car can have, activation, "prepare to sell"."""
