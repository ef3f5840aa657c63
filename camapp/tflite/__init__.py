"""The TFLite layer under detect/, store/ and hw/: which interpreter runtime is installed, and
reading an SSD `.tflite` file. Both the store (verifying a download) and the Edge TPU probe need
them, and neither may import the detectors above them."""
