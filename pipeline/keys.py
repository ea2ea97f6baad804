"""Names shared by every stage: detection kinds, YOLO class order and per-box data keys.

One typed container travels through the pipeline: ``supervision.Detections`` with parallel
arrays (``xyxy``, ``confidence``, ``class_id``) and a ``data`` dict of per-box arrays whose keys
are the constants below. Never spell these strings anywhere else.
"""

from __future__ import annotations

# --- detection kinds (the ``kind`` field of the detections JSON contract) ---
PRODUCT = "product"
PRICE_TAG = "price_tag"
PROMO = "promo"
GAP = "gap"
KINDS: tuple[str, ...] = (PRODUCT, PRICE_TAG, PROMO, GAP)

# YOLO class ids of the detector (gaps are inferred from shelf geometry, not detected).
DETECTOR_CLASSES: tuple[str, ...] = (PRODUCT, PRICE_TAG, PROMO)

# --- per-box keys in ``Detections.data`` and in the JSON ---
KIND = "kind"
SKU = "sku"
BRAND = "brand"
CATEGORY = "category"
SKU_SCORE = "sku_score"
ORIENTATION = "orientation"
TEXT = "text"
PRICE = "price"
CURRENCY = "currency"
SHELF = "shelf"
PACK_TEXT = "pack_text"  # words printed on a product, read by OCR (pipeline.vision.pack_text)
NAMED_BY = "named_by"  # which signal named a product: NAMED_BY_* below
# a gap the shelf-structure step found from shelf geometry (``True``), not a detector's gap box:
# judging again drops it and finds the gaps anew (pipeline.rules.structure)
INFERRED = "inferred"
# internal (never in results): a product box under the detector's product floor, kept until
# the recognizer confirms it (see pipeline.vision.detector)
FAINT = "faint"

# --- photo-level keys in the JSON ---
SHELF_ROWS = "shelf_rows"  # the shelf rows the rules used (pipeline.rules.structure)

# --- values ---
UNKNOWN = "unknown"
EMPTY = "empty"  # a product box on an empty slot (recognizer); dropped before the rules
UPRIGHT = "upright"
LYING = "lying"
ORIENTATIONS: tuple[str, ...] = (UPRIGHT, LYING)
NAMED_BY_IMAGE = "image"
NAMED_BY_BOTH = "image+pack_text"
NAMED_BY_TEXT = "pack_text"
