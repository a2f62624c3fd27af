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
    """Windows of finished tests are collected here, on the GUI thread: left to the
    garbage collector, their Qt objects could be destroyed on a worker thread."""
    yield
    import gc

    gc.collect()
