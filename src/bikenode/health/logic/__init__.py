"""The health domain's pure maths: metric rules, rMSSD, robust baselines, alerts, readiness.

Numbers, dates and numpy arrays in, plain values out: no database, framework or other domain.
"""
