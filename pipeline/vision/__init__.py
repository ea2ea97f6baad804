"""The vision engine: detect (YOLO) -> recognize (CLIP crops) -> read text (OCR).

Every stage has one shape (:mod:`pipeline.vision.stage`): a batch of photos and their
``supervision.Detections`` (``data`` keys from :mod:`pipeline.keys`) in, a new batch out, camera
memory passed in and returned. The stages in order: :mod:`pipeline.vision.engine`. Heavy
libraries (torch, ultralytics, transformers, rapidocr) are imported inside the stage modules, so
importing this package is cheap. Training, tuning, evaluation and benchmarks live in
:mod:`pipeline.lab`, never imported here.
"""

import os as _os

# Never let ultralytics reach for the network (its import probes DNS; it downloads missing
# weights, fonts and AMP-check models when it believes it is online).
_os.environ.setdefault("YOLO_OFFLINE", "1")
