"""Helpers for tests that load the HTML report in a real (headless) browser."""
