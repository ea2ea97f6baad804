"""ShelfAudit: retail shelf compliance from shelf photos.

Data flows one way: photo -> detect (YOLO) -> recognize (CLIP) -> read text (OCR)
-> shelf structure -> rules engine -> store -> reports / dashboard pages.
"""

__version__ = "0.1.0"
