# make run · make test · make bench · make lint — each creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)

.PHONY: run test test-x lint bench fuzz soak clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: an unpinned torch would pull a multi-gigabyte CUDA build.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt torch
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/torchcanvas

lint: $(STAMP)
	$(BIN)/ruff check core widgets app tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# One whole task on a real X display under Xvfb, with real key chords from xdotool:
# LeNet from the palette, an undo with the focus in a field, the window at 1024×700.
XDISPLAY ?= :97
test-x: $(STAMP)
	@command -v Xvfb >/dev/null && command -v xdotool >/dev/null || { echo "make test-x \
	needs Xvfb and xdotool: apt-get install -y xvfb xdotool libxcb-cursor0"; exit 1; }
	Xvfb $(XDISPLAY) -screen 0 1600x1000x24 & xvfb=$$!; sleep 1; \
	DISPLAY=$(XDISPLAY) QT_QPA_PLATFORM=xcb $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/app/test_real_display.py tests/app/test_real_display_canvas.py; status=$$?; kill $$xvfb; exit $$status

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# 10,000 broken cases per loader (make test runs a few hundred): documents, deeply nested
# JSON, projects with stored, deflated, bzip2 and LZMA members, torch.save and safetensors
# files with flipped bytes; and named pipes, /dev/zero and folders given as files.
fuzz: $(STAMP)
	TORCHCANVAS_FUZZ_EXAMPLES=10000 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q \
		-p no:cacheprovider tests/core/test_fuzz.py

# 5,000 random actions on the offscreen main window; prints the figures.
soak: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/soak/run_soak.py 5000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build *.egg-info
