"""Lineage of a model: its versions, files, signal points, translations and related works as a graph."""
