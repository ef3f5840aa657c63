"""What hardware is attached: cameras, the Coral USB Accelerator and its runtime.

Probing reads Linux sysfs (the root is injectable so tests can build a fake tree) and loads
the Edge TPU delegate; nothing here imports OpenCV capture backends or Picamera2 at import time.
"""
