"""Trips and driving analytics.

The pure core lives here: ``samples`` (the 1 Hz arrays a car uploads at engine-off), ``filtering``
(which trips are not saved and why), ``rebuild`` (the route where location was not shared),
``scoring`` (per-trip performance scores), ``coaching`` (driving analytics, hybrid and EV
coaching), ``insurance`` (usage-based insurance and the hybrid and plug-in programmes) and
``periods`` (period performance score and the monthly overview). ``plain`` is a loop-by-loop
reference of the per-trip scoring that tests use as an oracle and the benchmark as a baseline.
The formulas and their thresholds are explained in docs/scoring.md.
"""
