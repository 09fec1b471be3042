"""The vehicle simulator: telematics units that drive a plausible city and speak the real vehicle
protocol, so the platform can be tried, tested and measured end to end without cars.

Pure parts (road network, driving model, plans, vehicle state) are deterministic for a seed; the
async part (``unit``, ``fleet``) only decides *when* the pure results are published.
"""
