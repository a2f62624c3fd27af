"""Torch at run time: lowering a document to modules, the dry run on ``meta``, the live
model with real weights, tensors, initializers, devices and summaries."""
