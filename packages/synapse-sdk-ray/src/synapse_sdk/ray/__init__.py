"""Run Synapse plugins on Ray: actor tasks, Jobs API and a self-hostable agent."""
