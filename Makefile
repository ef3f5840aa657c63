# Two commands set up everything on a fresh machine:
#   make run    -> venv, install, model, sample clips, then the desktop app (ARGS="--source FILE" to pass options)
#   make test   -> venv, install, system packages for the Xvfb test, then the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED ?= ../shared
SHARED_MODEL := $(SHARED)/models/ssd_mobilenet_v1_coco_quant
SHARED_VIDEO := $(SHARED)/media/video

.PHONY: venv model samples run test lint bench system-deps

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[gui,web,test,track,notify]'
	touch $@

# Import the model from ../shared when it is there (offline), else download it with its checksum.
model: venv
	@if $(VENV)/bin/camapp models list | grep -q '^ssd_mobilenet_v1_coco_quant .*MB'; then :; \
	elif [ -f $(SHARED_MODEL)/detect.tflite ]; then $(VENV)/bin/camapp models fetch --from $(SHARED_MODEL); \
	else $(VENV)/bin/camapp models fetch; fi

# The sample clips (sample:person, sample:bottle): imported from ../shared when it is there (offline),
# else downloaded with their checksums; a failed download only warns (the app runs on a camera too).
samples: venv
	@if ! $(VENV)/bin/camapp samples list | grep -q 'not installed'; then :; \
	elif [ -d $(SHARED_VIDEO) ]; then $(VENV)/bin/camapp samples fetch --quiet --from $(SHARED_VIDEO); \
	else $(VENV)/bin/camapp samples fetch || echo "make: sample clips not fetched; 'camapp samples fetch' retries" >&2; fi

system-deps:
	@bash scripts/system-deps

run: venv model samples
	$(VENV)/bin/camapp $(ARGS)

test: venv system-deps
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check camapp tests
	$(VENV)/bin/lint-imports
