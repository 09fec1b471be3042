"""Safety services: SOS, automatic collision notification, stolen-vehicle tracking."""
