"""The fitness domain's pure maths: training load, ride stress, power curves, CP models, W' balance.

Numbers and numpy arrays in, numbers and arrays out: no database, framework or other domain.
"""
