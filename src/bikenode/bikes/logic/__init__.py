"""Bikes' pure rules: component usage through installation windows, service intervals and
the catalogue of component types. No database, framework or network code."""
