"""Read badges back the way the door and a printer would: QR codes decoded
with zxing-cpp from PNGs, and from PDFs rasterised with pdfium."""

import io

import pypdfium2
import zxingcpp
from PIL import Image


def pdf_pages(pdf: bytes, dpi: int = 170) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in document]
    finally:
        document.close()


def qr_texts(image: Image.Image) -> list[str]:
    """The QR codes in `image` in reading order: by row, then left to right
    (codes side by side on a sheet are drawn level with each other)."""
    codes = [code for code in zxingcpp.read_barcodes(image) if code.valid]
    codes.sort(key=lambda c: (c.position.top_left.y // 20, c.position.top_left.x))
    return [code.text for code in codes]


def scan_png(png: bytes) -> list[str]:
    return qr_texts(Image.open(io.BytesIO(png)))


def scan_pdf(pdf: bytes, dpi: int = 170) -> list[str]:
    """Every QR code on every page, in reading order."""
    return [text for page in pdf_pages(pdf, dpi) for text in qr_texts(page)]
