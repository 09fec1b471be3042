"""The vehicle registry and model catalogue: the manufacturer's side of every car."""
