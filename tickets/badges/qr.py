"""QR codes: the module matrix from `qrcode`, drawn by each renderer."""

import io

import qrcode
from PIL import Image

QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def qr_matrix(code: str) -> list[list[bool]]:
    """Return the QR code for `code` as rows of dark (True) modules,
    quiet zone included: the smallest version that holds it, error
    correction M (15% of the code can be damaged and it still reads)."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=QUIET_ZONE,
        box_size=1,
    )
    qr.add_data(code.encode())
    qr.make(fit=True)
    return qr.get_matrix()


def dark_runs(matrix: list[list[bool]]):
    """Yield (row, first column, length) for each run of dark modules in a
    row: a 29-module code is ~150 rectangles instead of ~450."""
    for y, row in enumerate(matrix):
        x, width = 0, len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                yield y, start, x - start
            else:
                x += 1


def qr_png(code: str, box_size: int = 8) -> bytes:
    """Return just the QR code for `code` as a black and white PNG,
    `box_size` pixels a module (to show inline in an e-mail)."""
    matrix = qr_matrix(code)
    size = len(matrix)
    image = Image.new("1", (size, size), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    image = image.resize((size * box_size, size * box_size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
