"""Hooks into the execution loop (the jug-contrib distribution)."""
