"""Ray executors live in the ``synapse-sdk-ray`` distribution; these modules forward to it.

Importing them without that distribution raises ``ImportError`` with the install command.
"""
