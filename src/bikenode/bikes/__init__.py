"""Bikes: a rider's bikes, their components as a tree, usage from rides and maintenance.

Other domains use only what is exported here.
"""
