"""The ``synapse`` command."""
