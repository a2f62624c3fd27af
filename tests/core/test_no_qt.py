"""core/ runs where Qt cannot even be imported."""

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import sys

    class NoQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"):
                raise ImportError(f"{name} is not installed here")
            return None

    sys.meta_path.insert(0, NoQt())
    import pkgutil, importlib, core
    for module in pkgutil.iter_modules(core.__path__):
        importlib.import_module(f"core.{module.name}")
    from core.catalog.templates import list_templates, load_template
    from core import build_module, infer_shapes, to_python
    for template in list_templates():
        document = load_template(template.name)
        assert infer_shapes(document).ok
        to_python(document)
        build_module(document)
    print("ok")
""")


def test_core_imports_and_works_without_qt():
    run = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
