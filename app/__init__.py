"""TorchCanvas application: main window, actions, settings and the command line."""
