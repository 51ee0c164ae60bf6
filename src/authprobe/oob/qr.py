"""Reading a QR code from a screenshot, as a user's phone does when it scans one.

Decoding is zxing-cpp's (a maintained port of ZXing); Pillow turns the PNG into an image.
Both are imported on the first scan: most runs never read a QR code, and every run would
otherwise pay for loading them at start.
"""

from __future__ import annotations

import io


def read_qr(png: bytes) -> str | None:
    """The text of the first QR code in the picture, or None when there is none."""
    import zxingcpp
    from PIL import Image

    with Image.open(io.BytesIO(png)) as picture:
        found = zxingcpp.read_barcodes(picture.convert("L"),
                                       formats=zxingcpp.barcode_formats_from_str("QRCode"))
    return found[0].text if found else None
