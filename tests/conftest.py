import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import pytest


@pytest.fixture(autouse=True, scope="session")
def private_folders(tmp_path_factory):
    """Logs and recovery files of the tests stay in the test run's folder."""
    base = tmp_path_factory.getbasetemp()
    os.environ["TORCHCANVAS_LOG_DIR"] = str(base / "logs")
    os.environ["TORCHCANVAS_RECOVERY_DIR"] = str(base / "recovery")


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread():
    """Cycles are collected here, on the GUI thread, after each test: the automatic
    collector may run on a worker thread and destroy Qt objects (timers) there."""
    import gc

    gc.disable()
    yield
    gc.collect()
