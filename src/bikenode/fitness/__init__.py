"""Fitness: training load, power-duration curves and models, dated thresholds.

Other domains use only what is exported here.
"""
