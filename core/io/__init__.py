"""Files and exports: graph.json and .tcanvas projects, safetensors and state_dicts,
atomic writes, recovery copies, generated Python and ONNX."""
