"""TorchCanvas widgets: each shows core state and sends edits to core."""
