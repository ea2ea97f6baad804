"""The vision engine: detect (YOLO) -> recognize (CLIP crops) -> read text (OCR).

Every stage takes and returns ``supervision.Detections`` with ``data`` keys from
:mod:`pipeline.keys`. Heavy libraries (torch, ultralytics, transformers, rapidocr) are imported
inside the stage modules, so importing this package is cheap.
"""
