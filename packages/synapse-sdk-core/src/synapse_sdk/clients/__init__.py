"""Clients for the Synapse platform (backend REST API, embedded local backend) and the agent."""
