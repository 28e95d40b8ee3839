"""Write, discover and run Synapse plugins."""
