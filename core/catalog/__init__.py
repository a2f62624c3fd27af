"""The layer catalog: what can be placed on the canvas, each layer's typed arguments,
the chapter's own layers, layers a person writes, and the shipped example networks."""
