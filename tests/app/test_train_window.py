"""The Train dock through the real window: a run trains off the GUI thread, its curves
grow, its weights land as one undo step; stop; the three-initializer demo; the health
check; and the dock never makes the window larger than the screen."""

import json
import os
import subprocess
import sys

import numpy as np
import torch
from PySide6.QtWidgets import QApplication

from tests.app.test_inspection import ready


def weights(window):
    return {k: v.detach().clone() for k, v in
            window.workspace.live.module.state_dict().items()}


def train_ready(qtbot, window):
    ready(qtbot, window)
    qtbot.waitUntil(lambda: hasattr(window, "training"), timeout=10_000)
    window.model_docks["train"].raise_()
    panel = window.training.panel
    panel.size.setValue(400)
    panel.epochs.setValue(8)
    panel.optimizer.setCurrentText("Adam")
    panel.lr.setValue(0.01)
    return panel


def wait_done(qtbot, window, timeout=30_000):
    qtbot.waitUntil(lambda: not window.training.busy, timeout=timeout)
    QApplication.processEvents()


def test_a_run_trains_shows_curves_and_undoes_in_one_step(qtbot, make_window, screenshots):
    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    panel.start.click()  # the data loads on a worker, then the run trains on another
    assert window.training.busy and not panel.start.isEnabled()
    assert panel.status.text() == "Loading the data…"
    wait_done(qtbot, window)
    assert window.workspace.document.input.shape == (2, 2)  # followed the data (moons)
    window.workspace.undo()  # the weights
    before = weights(window)
    window.workspace.redo()
    run = window.training.runs[1]
    assert [s.epoch for s in run.epochs] == list(range(1, 9))
    assert run.epochs[-1].validation_accuracy >= 0.9
    curve = panel.curves[1]["train_loss"]
    assert len(curve.getData()[0]) == 8
    assert "Trained 8 epochs" in panel.status.text()
    trained = weights(window)
    window.model_docks["train"].grab().save(str(screenshots / "train-dock.png"))
    window.workspace.undo()  # the weights, bit for bit
    restored = weights(window)
    assert any(not torch.equal(restored[k], trained[k]) for k in trained)
    assert all(torch.equal(restored[k], v) for k, v in before.items())
    window.workspace.redo()
    assert all(torch.equal(weights(window)[k], v) for k, v in trained.items())


def test_stop_keeps_a_whole_model_and_demo_shows_zeros_not_learning(qtbot, make_window,
                                                                    screenshots):
    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    panel.epochs.setValue(10_000)
    panel.start.click()
    qtbot.waitUntil(lambda: 1 in window.training.runs
                    and len(window.training.runs[1].epochs) >= 1, timeout=20_000)
    panel.pause.click()
    assert panel.pause.text() == "Resume"
    panel.stop.click()
    wait_done(qtbot, window)
    assert window.training.last_result.stopped
    assert all(torch.isfinite(t).all() for t in weights(window).values())
    panel.epochs.setValue(8)
    panel.optimizer.setCurrentText("SGD")
    panel.lr.setValue(0.1)
    panel.demo.click()
    wait_done(qtbot, window, 60_000)
    results = window.training.last_result
    assert results["zeros"].last.validation_accuracy <= 0.6
    assert results["xavier_uniform"].last.validation_accuracy >= 0.8
    assert len(window.training.runs) == 4 and len(panel.visible_runs()) == 4
    panel.runs.item(0).setCheckState(panel.runs.item(0).checkState().Unchecked)
    assert len(panel.visible_runs()) == 3
    window.model_docks["train"].grab().save(str(screenshots / "train-initializers.png"))


def test_health_check_and_refusals(qtbot, make_window):
    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    panel.health.click()
    wait_done(qtbot, window)
    assert panel.health_table.rowCount() == 3
    assert "Health check" in panel.status.text()
    panel.set_data_file("/nonexistent/data.csv")
    panel.start.click()
    wait_done(qtbot, window)
    assert "no such file" in panel.status.text() and panel.start.isEnabled()
    # Stopped while the data loads: no run starts and nothing changes.
    panel.data.setCurrentText("circles")
    steps, runs = window.workspace.history.undo_text, len(window.training.runs)
    panel.start.click()
    panel.stop.click()
    wait_done(qtbot, window)
    assert panel.status.text() == "Stopped before the first epoch; the model is as it was."
    assert len(window.training.runs) == runs and window.workspace.history.undo_text == steps


def test_the_train_dock_fits_a_small_screen(qtbot, make_window):
    window = make_window("mlp")
    train_ready(qtbot, window)
    window.resize(1024, 700)
    qtbot.wait(50)
    assert (window.width(), window.height()) == (1024, 700)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700
    dock = window.model_docks["train"]
    assert dock.isVisible() and dock.minimumSizeHint().height() <= 200
    window.window_layout.layout_actions["train"].trigger()
    qtbot.wait(50)
    assert dock.isVisible() and not window.model_docks["code"].isVisible()


def test_histograms_over_time_grow_a_row_per_record_and_follow_the_weights(
        qtbot, make_window, screenshots):
    from core.training import Histograms

    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    panel.views.setCurrentWidget(panel.histograms)
    view = panel.histograms
    panel.start.click()
    wait_done(qtbot, window)
    source = view.source
    # 400 moons, 320 to train in batches of 32: 10 steps an epoch, a row every 2 steps,
    # and one before the first step.
    assert source.every == 2 and source.records == 1 + 8 * 10 // 2
    assert [view.layer.itemText(i) for i in range(view.layer.count())] == \
        source.names() == list(window.workspace.live.module.state_dict())
    qtbot.waitUntil(lambda: (image := view.image_of("weights")) is not None
                    and image.shape[0] == source.records)  # drawn on a timer
    weights, gradients = view.image_of("weights"), view.image_of("gradients")
    assert gradients.shape == (source.records - 1, 64)  # no gradient before a step
    first = window.workspace.live.module.state_dict()[view.layer.currentText()].numel()
    assert np.allclose(np.expm1(weights).sum(1), first, atol=1e-3)  # every value counted
    assert not np.array_equal(weights[0], weights[-1])  # training moved the weights
    view.layer.setCurrentIndex(view.layer.count() - 1)  # the last bias
    assert "of " + source.names()[-1] in view.plot_of["weights"].titleLabel.text
    assert view.image_of("weights").shape[0] == source.records
    assert not np.array_equal(view.image_of("weights"), weights[:, :])
    window.model_docks["train"].grab().save(str(screenshots / "train-histograms.png"))

    # The picture follows the values: a new row when the weights change.
    layer = torch.nn.Linear(3, 3)
    torch.nn.init.constant_(layer.weight, 0.5)
    alone = Histograms(layer, bins=8)
    alone.record(0)
    view.show_histograms(alone)
    before = view.image_of("weights")
    assert before.shape == (1, 8) and view.layer.currentText() == "weight"
    with torch.no_grad():
        layer.weight.fill_(-0.5)
    alone.record(1)
    view.request_refresh()
    qtbot.waitUntil(lambda: view.image_of("weights").shape[0] == 2)
    after = view.image_of("weights")
    assert np.array_equal(after[0], before[0]) and not np.array_equal(after[1], after[0])
    assert np.argmax(after[0]) > np.argmax(after[1])  # the values moved to the left


def test_export_training_script_from_the_window_runs_and_loads_back(
        qtbot, make_window, tmp_path, monkeypatch, dialogs):
    from PySide6.QtWidgets import QFileDialog

    from core.io.weights import load_weights

    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    panel.data.setCurrentText("circles")
    panel.epochs.setValue(2)
    panel.schedule.setCurrentText("StepLR")
    panel.start.click()  # the network's input follows the data: (2, 2)
    wait_done(qtbot, window)
    action = window.actions["export_train_script"]
    entries = window.menus["&File"].actions()
    assert entries.index(action) == entries.index(window.actions["export_python"]) + 1
    script = tmp_path / "train.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(script), ""))
    action.trigger()
    assert "python train.py" in panel.status.text()
    settings = script.read_text()
    for chosen in ('"optimizer": "Adam"', '"lr": 0.01', '"name": "circles"',
                   '"size": 400', '"schedule": "StepLR"', '"batch_size": 32'):
        assert chosen in settings
    done = subprocess.run([sys.executable, "train.py", "--epochs", "1", "--json", "--device",
                           "cpu", "--out", "ck"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [line["epoch"] for line in lines] == [1] and lines[0]["train_loss"] > 0
    before = weights(window)
    checkpoint = tmp_path / "ck" / "last.safetensors"
    assert window.files.import_weights(checkpoint)  # File ▸ Import Weights
    loaded, saved = weights(window), load_weights(checkpoint)
    assert loaded.keys() == saved.keys()
    assert all(torch.equal(loaded[k], saved[k]) for k in saved)
    window.workspace.undo()
    assert all(torch.equal(weights(window)[k], v) for k, v in before.items())

    # What cannot be exported is said plainly, and nothing is written.
    table = tmp_path / "table.csv"
    table.write_text("a,b,label\n1,2,0\n")
    panel.set_data_file(str(table))
    panel.target.setText("kind")
    other = tmp_path / "other.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(other), ""))
    action.trigger()
    assert dialogs[-1] == ("warning", "table.csv has no column 'kind'; its columns are a, "
                                      "b, label")
    assert not other.exists()
    panel.data.setCurrentText("moons")
    assert not window.training.export_script(str(tmp_path / "missing" / "train.py"))
    assert dialogs[-1][0] == "warning" and "cannot write in" in dialogs[-1][1]
    assert not (tmp_path / "missing").exists()


def test_an_image_folder_trains_at_the_networks_input_size(qtbot, make_window, tmp_path,
                                                           monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from core.document.compose import Composer
    from tests.core.test_training_script import image_folder

    folder = image_folder(tmp_path / "pictures")
    window = make_window("mlp")
    panel = train_ready(qtbot, window)
    c = Composer()
    window.workspace.replace(c.document(
        c.layer("Flatten"), c.layer("Linear", in_features=30, out_features=2),
        input_shape=(4, 1, 6, 5)))
    qtbot.waitUntil(lambda: window.workspace.live.module is not None, timeout=10_000)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    panel.data.setCurrentText("Image folder…")
    panel.data.activated.emit(panel.data.currentIndex())
    assert panel.data_source() == str(folder)
    panel.epochs.setValue(15)
    panel.lr.setValue(0.05)
    panel.batch.setValue(4)
    panel.start.click()
    wait_done(qtbot, window)
    assert window.workspace.document.input.shape == (4, 1, 6, 5)  # read at its size
    run = window.training.runs[max(window.training.runs)]
    assert run.epochs[-1].validation_accuracy == 1.0
    assert "Trained 15 epochs" in panel.status.text()

    # An unreadable image: said plainly, nothing changed.
    (folder / "light" / "broken.png").write_bytes(b"no picture")
    before, steps = weights(window), window.workspace.history.undo_text
    panel.start.click()
    wait_done(qtbot, window)
    assert "light/broken.png is not a readable image" in panel.status.text()
    assert window.workspace.history.undo_text == steps
    assert all(torch.equal(weights(window)[k], v) for k, v in before.items())
