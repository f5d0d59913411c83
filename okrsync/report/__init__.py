"""Renderings of a scored OKR tree for people and tools."""
