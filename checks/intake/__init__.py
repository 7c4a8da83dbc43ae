"""Turning what a user typed or uploaded into entries to check."""
