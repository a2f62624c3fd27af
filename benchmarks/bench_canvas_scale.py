"""Large canvases (issue 12): layered layout, select-all, delete and undo at 1,000 and
10,000 nodes, and the layout of a ResNet-50-sized graph of residual blocks."""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SIZES = tuple(int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000").split(","))


def chain_document(count: int):
    from core.document.compose import Composer, chain
    from core.document.graph import Document, InputSpec

    c = Composer()
    nodes = [c.layer("Linear", in_features=64, out_features=64) if index % 2 == 0
             else c.layer("ReLU") for index in range(count)]
    return Document(root=chain(*nodes), input=InputSpec((2, 64)))


def residual_graph(blocks: int):
    """``blocks`` residual blocks (three layers, an Add and a ReLU each, the skip around
    them), about as many nodes as an imported ResNet-50 when ``blocks`` is 16 × 2."""
    from core.document.graph import INPUT, OUTPUT, Edge, Graph, Node

    nodes, edges, last = [], [], INPUT
    for index in range(blocks):
        ids = [f"b{index}_{part}" for part in ("c1", "c2", "c3", "add", "relu")]
        types = ["Linear", "Linear", "Linear", "Add", "ReLU"]
        nodes += [Node(node_id, layer) for node_id, layer in zip(ids, types, strict=True)]
        edges += [Edge(last, ids[0]), Edge(ids[0], ids[1]), Edge(ids[1], ids[2]),
                  Edge(ids[2], ids[3]), Edge(last, ids[3], 1), Edge(ids[3], ids[4])]
        last = ids[4]
    edges.append(Edge(last, OUTPUT))
    return Graph(nodes, edges)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> dict[str, float]:
    from bench_canvas import scratch_settings
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from core.document.layout import layered_positions
    from core.workspace import Workspace

    app = QApplication.instance() or QApplication([])
    figures: dict[str, float] = {}
    print("Large canvases:")
    resnet = residual_graph(34)
    figures["layout_resnet50_ms"] = timed(lambda: layered_positions(resnet))
    print(f"  layered layout, ResNet-50-sized ({len(resnet.nodes)} nodes) "
          f"{figures['layout_resnet50_ms']:8.1f} ms")
    for size in SIZES:
        blocks = residual_graph(size // 5)
        figures[f"layout_{size}_ms"] = timed(lambda g=blocks: layered_positions(g))
        document = chain_document(size)
        settings = scratch_settings()
        window = MainWindow(Workspace(document), settings, ready=False)
        window.resize(1280, 800)
        window.show()
        app.processEvents()
        window.scene.flush()
        app.processEvents()

        def select_all(w=window) -> None:
            w.do_select_all()
            app.processEvents()

        def delete(w=window) -> None:
            w.do_delete()
            app.processEvents()

        def undo(w=window) -> None:
            w.do_undo()
            app.processEvents()

        figures[f"select_all_{size}_ms"] = timed(select_all)
        figures[f"delete_{size}_ms"] = timed(delete)
        figures[f"undo_{size}_ms"] = timed(undo)
        print(f"  {size:>6,} nodes: layout of residual blocks "
              f"{figures[f'layout_{size}_ms']:8.1f} ms · select all "
              f"{figures[f'select_all_{size}_ms']:8.1f} ms (target ≤ 100) · delete "
              f"{figures[f'delete_{size}_ms']:8.1f} ms · undo "
              f"{figures[f'undo_{size}_ms']:8.1f} ms (targets ≤ 1000)")
        window.workspace.history.mark_clean()
        window.close()
    return figures


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
