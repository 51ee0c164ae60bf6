"""Reading a QR code from a screenshot, as a user's phone does when it scans one.

Decoding is zxing-cpp's (a maintained port of ZXing); Pillow turns the PNG into an image.
"""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

QR_ONLY = zxingcpp.barcode_formats_from_str("QRCode")


def read_qr(png: bytes) -> str | None:
    """The text of the first QR code in the picture, or None when there is none."""
    with Image.open(io.BytesIO(png)) as picture:
        found = zxingcpp.read_barcodes(picture.convert("L"), formats=QR_ONLY)
    return found[0].text if found else None
