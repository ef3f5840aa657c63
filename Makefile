# Two commands set up everything on a fresh machine:
#   make run    -> venv with the app (desktop, browser view, tracking, MQTT, notifications), model, sample clips, then the
#                  desktop app on the last source it showed, else camera 0 (ARGS="--source FILE" to pass options)
#   make test   -> the same venv plus the test tools, system packages for the Xvfb test, then the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED ?= ../shared
SHARED_MODEL := $(SHARED)/models/ssd_mobilenet_v1_coco_quant
SHARED_VIDEO := $(SHARED)/media/video
APP_EXTRAS := gui,web,track,mqtt,notify
# pip's own progress (no -q): the first install downloads a few hundred MB and takes minutes
PIP_INSTALL := $(PY) -m pip install --progress-bar on

.PHONY: app venv model samples run test lint bench system-deps

# The app alone: what `make run` needs.
app: $(VENV)/.installed-app
$(VENV)/.installed-app: pyproject.toml
	@echo "make: installing camapp [$(APP_EXTRAS)] into $(VENV) (the first time takes a few minutes)"
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -e '.[$(APP_EXTRAS)]'
	touch $@

# The app and the test tools (pytest, ruff, import-linter): what `make test` and `make lint` need.
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@echo "make: installing camapp [$(APP_EXTRAS),test] into $(VENV) (the first time takes a few minutes)"
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -e '.[$(APP_EXTRAS),test]'
	touch $@

# Import the model from ../shared when it is there (offline), else download it with its checksum.
model: app
	@if $(VENV)/bin/camapp models list | grep -q '^ssd_mobilenet_v1_coco_quant .*MB'; then :; \
	elif [ -f $(SHARED_MODEL)/detect.tflite ]; then $(VENV)/bin/camapp models fetch --from $(SHARED_MODEL); \
	else $(VENV)/bin/camapp models fetch; fi

# The sample clips (sample:person, sample:bottle): imported from ../shared when it is there (offline),
# else downloaded with their checksums; a failed download only warns (the app runs on a camera too).
samples: app
	@if ! $(VENV)/bin/camapp samples list | grep -q 'not installed'; then :; \
	elif [ -d $(SHARED_VIDEO) ]; then $(VENV)/bin/camapp samples fetch --quiet --from $(SHARED_VIDEO); \
	else $(VENV)/bin/camapp samples fetch || echo "make: sample clips not fetched; 'camapp samples fetch' retries" >&2; fi

system-deps:
	@bash scripts/system-deps

run: app model samples
	$(VENV)/bin/camapp $(ARGS)

test: venv system-deps
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check camapp tests
	$(VENV)/bin/lint-imports
