"""The vision engine: detect (YOLO) -> recognize (CLIP crops) -> read text (OCR).

Every stage takes and returns ``supervision.Detections`` with ``data`` keys from
:mod:`pipeline.keys`. Heavy libraries (torch, ultralytics, transformers, rapidocr) are imported
inside the stage modules, so importing this package is cheap.
"""

import os as _os

# Never let ultralytics reach for the network (its import probes DNS; it downloads missing
# weights, fonts and AMP-check models when it believes it is online).
_os.environ.setdefault("YOLO_OFFLINE", "1")
