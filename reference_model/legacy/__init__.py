"""The legacy form of the reference model: forward-time mutation of nested submodule state."""
