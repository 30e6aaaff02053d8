"""Health: daily metrics (resting heart rate, HRV, weight, sleep, how the rider feels), robust
baselines, explained alerts and readiness.

Other domains use only what is exported here.
"""
