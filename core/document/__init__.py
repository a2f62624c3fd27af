"""The document and its commands: the graph of layers and blocks, the events it emits,
every edit as an undoable command, the history, checks, layout and clipboard. Plain
Python: nothing here needs torch."""
