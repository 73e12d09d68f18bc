"""A fake camera for Chromium: a video of a real badge held up to it.

Chromium films a `.y4m` file instead of a webcam when started with
`camera_args(path)`; the file loops for as long as the page watches.
"""

import io
from pathlib import Path

from PIL import Image

from tickets.badges import badge_png

WIDTH, HEIGHT = 640, 480


def camera_args(video: Path) -> list[str]:
    """Chromium's switches to film `video` and allow the camera unasked."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


def badge_picture(ticket_or_data) -> Image.Image:
    """Return the badge as drawn for printing, shrunk to fit the frame."""
    badge = Image.open(io.BytesIO(badge_png(ticket_or_data, dpi=150))).convert("RGB")
    badge.thumbnail((WIDTH - 40, HEIGHT - 30))
    return badge


def badge_frame(badge: Image.Image, *, shift: tuple[int, int] = (0, 0)) -> Image.Image:
    """Return a 640 x 480 frame with `badge` in the middle of a grey
    background (moved by `shift` pixels, as a hand would)."""
    frame = Image.new("RGB", (WIDTH, HEIGHT), (90, 90, 90))
    x = (WIDTH - badge.width) // 2 + shift[0]
    y = (HEIGHT - badge.height) // 2 + shift[1]
    frame.paste(badge, (x, y))
    return frame


def blank_frame() -> Image.Image:
    return Image.new("RGB", (WIDTH, HEIGHT), (90, 90, 90))


def write_y4m(path: Path, frames: list[Image.Image], *, fps: int = 30) -> Path:
    """Write `frames` (640 x 480 RGB) as a 4:2:0 YUV4MPEG2 video."""
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            y, cb, cr = frame.convert("YCbCr").split()
            half = (WIDTH // 2, HEIGHT // 2)
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            out.write(cb.resize(half, Image.BILINEAR).tobytes())
            out.write(cr.resize(half, Image.BILINEAR).tobytes())
    return path


def badge_video(path: Path, ticket_or_data, *, frames: int = 6) -> Path:
    """Write a video of the badge held (a little unsteadily) to the camera."""
    badge = badge_picture(ticket_or_data)
    wobble = [(0, 0), (2, 1), (3, -1), (1, -2), (-2, -1), (-3, 1)]
    pictures = [
        badge_frame(badge, shift=wobble[i % len(wobble)]) for i in range(frames)
    ]
    return write_y4m(path, pictures)
