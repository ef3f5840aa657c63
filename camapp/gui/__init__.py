"""The desktop app (PyQt6). The only package that imports Qt.

Capture, inference and encoding run on the pipeline's threads; results reach the GUI thread
through `bridge.ResultBridge` (queued signals, newest result only). Model loading, source
opening and rung timing run in `camapp.session` (its worker thread).
"""
