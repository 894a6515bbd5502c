"""The application layer: units of work, batches, erasure and the command verbs of the Ledger."""
