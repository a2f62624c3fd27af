"""Run every benchmark and print its figures (``make bench``)."""

from __future__ import annotations

import platform

import bench_build
import bench_canvas
import bench_canvas_scale
import bench_edit
import bench_files
import bench_growth
import bench_import
import bench_inspect
import bench_memory
import bench_meta
import bench_open
import bench_scale
import bench_startup
import bench_train
import bench_weights
import torch

if __name__ == "__main__":
    print(f"torch {torch.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {torch.get_num_threads()} threads available\n")
    bench_build.main()
    print()
    bench_meta.main()
    print()
    bench_startup.main()
    print()
    bench_canvas.main()
    print()
    bench_canvas_scale.main()
    print()
    bench_edit.main()
    print()
    bench_inspect.main()
    print()
    bench_files.main()
    print()
    bench_open.main()
    print()
    bench_import.main()
    print()
    bench_scale.main()
    print()
    bench_growth.main()
    print()
    bench_train.main()
    print()
    bench_memory.main()
    print()
    bench_weights.main()
