"""Executors run an action: here (local), in a Ray actor (task) or as a Ray job (job)."""
