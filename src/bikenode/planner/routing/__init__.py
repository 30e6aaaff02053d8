"""Routing over roads: an OpenStreetMap extract read into a bike graph, searched with A*."""
