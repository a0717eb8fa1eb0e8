"""Processes that act on the case event stream: the deadline process (billing and reporting to come)."""
