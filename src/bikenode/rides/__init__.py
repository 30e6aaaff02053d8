"""Rides: import, analyse, store and export GPX, FIT and TCX activities."""
