"""Orchestration of a sync cycle: read, map, roll up, plan, apply."""
